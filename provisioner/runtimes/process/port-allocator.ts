/**
 * Hands out free loopback ports, never one this previewd already reserved (even before its process
 * binds it). Ports come from below the kernel's ephemeral range when there is room: an outgoing
 * connection's source port is drawn from that range, and could otherwise take an app's port in the
 * moment it is down for a restart, breaking "same port, same URL".
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

export type PortRange = readonly [min: number, max: number];

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
      if (port > 0 && !this.#reserved.has(port)) {
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
