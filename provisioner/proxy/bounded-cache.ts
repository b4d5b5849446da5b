/**
 * A map for values computed from request headers (parsed Host, parsed target URL): what clients
 * send repeats, so each request finds it computed; what they could send is unbounded, so the map is
 * emptied when it reaches its size instead of growing with whatever a client makes up.
 */
export class BoundedCache<V> {
  readonly #entries = new Map<string, V>();

  constructor(private readonly maxEntries = 1024) {}

  get(key: string, compute: (key: string) => V): V {
    const known = this.#entries.get(key);
    if (known !== undefined) return known;
    const value = compute(key);
    if (this.#entries.size >= this.maxEntries) this.#entries.clear();
    this.#entries.set(key, value);
    return value;
  }
}
