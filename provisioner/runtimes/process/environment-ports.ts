/** The loopback ports one environment holds, taken from (and given back to) the runtime's allocator. */
import type { PortAllocator } from "./port-allocator.ts";

export class EnvironmentPorts {
  readonly #held = new Set<number>();
  readonly #allocator: PortAllocator;

  constructor(allocator: PortAllocator) {
    this.#allocator = allocator;
  }

  async allocate(): Promise<number> {
    const port = await this.#allocator.allocate();
    this.#held.add(port);
    return port;
  }

  /** Marks a port as this environment's (adopted processes already listen on theirs). */
  reserve(port: number | undefined): void {
    if (port === undefined) return;
    this.#allocator.reserve(port);
    this.#held.add(port);
  }

  release(port: number | undefined): void {
    if (port === undefined) return;
    this.#allocator.release(port);
    this.#held.delete(port);
  }

  releaseAll(): void {
    for (const port of this.#held) this.#allocator.release(port);
    this.#held.clear();
  }
}
