/**
 * Hands out free loopback ports, never one this previewd already reserved (even before its process
 * binds it). Ports come from below the kernel's ephemeral range when there is room: an outgoing
 * connection's source port is drawn from that range, and could otherwise take an app's port in the
 * moment it is down for a restart, breaking "same port, same URL".
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

export type PortRange = readonly [min: number, max: number];

/**
 * The Fetch standard's bad ports (https://fetch.spec.whatwg.org/#port-blocking): browsers refuse
 * to load a URL on one (Chromium: ERR_UNSAFE_PORT), and so does Node's fetch, previewd's health
 * probe ("bad port"). An app given 10080, inside the range below, was never seen healthy.
 */
const badPorts = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
  109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
  526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
  3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

function osFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Can something listen on 127.0.0.1:`port` right now? */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Polls until the port is free (true) or `ms` have passed (false). */
export async function waitPortFree(port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await portFree(port)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The ports below Linux's ephemeral range (`ip_local_port_range`), if that leaves a useful span. */
export function defaultPortRange(): PortRange | undefined {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low !== undefined && low - 1 - 10_000 >= 1_000) return [10_000, low - 1];
  } catch {
    // Not Linux: let the OS choose.
  }
  return undefined;
}

export class PortAllocator {
  readonly #reserved = new Set<number>();

  /** `null`: always let the OS choose. */
  constructor(private readonly range: PortRange | null = defaultPortRange() ?? null) {}

  async allocate(): Promise<number> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const port = await this.#candidate(attempt);
      if (port > 0 && !this.#reserved.has(port) && !badPorts.has(port)) {
        this.#reserved.add(port);
        return port;
      }
    }
    throw new RangeError("no free loopback port found");
  }

  async #candidate(attempt: number): Promise<number> {
    // A crowded range falls back to the OS's choice after a while.
    if (!this.range || attempt >= 100) return osFreePort();
    const [min, max] = this.range;
    const port = min + Math.floor(Math.random() * (max - min + 1));
    return !this.#reserved.has(port) && (await portFree(port)) ? port : 0;
  }

  /** Marks a port as ours (adopted processes already listen on theirs). */
  reserve(port: number): void {
    this.#reserved.add(port);
  }

  release(port: number): void {
    this.#reserved.delete(port);
  }

  isReserved(port: number): boolean {
    return this.#reserved.has(port);
  }
}
