import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { PortAllocator, defaultPortRange, portFree } from "./port-allocator.ts";

describe("PortAllocator", () => {
  it("hands out distinct free loopback ports and can reuse released ones", async () => {
    const ports = new PortAllocator();
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) seen.add(await ports.allocate());
    expect(seen.size).toBe(20);
    for (const port of seen) {
      expect(ports.isReserved(port)).toBe(true);
      expect(await portFree(port)).toBe(true);
      ports.release(port);
      expect(ports.isReserved(port)).toBe(false);
    }
  });

  it("stays below the ephemeral range, so outgoing connections never take an app's port", async () => {
    const range = defaultPortRange();
    expect(range).toBeDefined();
    const ports = new PortAllocator();
    for (let i = 0; i < 10; i++) {
      const port = await ports.allocate();
      expect(port).toBeGreaterThanOrEqual(range?.[0] ?? 0);
      expect(port).toBeLessThanOrEqual(range?.[1] ?? 0);
    }
  });

  it("never hands out a port browsers and fetch refuse (the Fetch standard's bad ports, such as 10080)", async () => {
    expect(await portFree(10080)).toBe(true); // Else the range has no free port anyway: no test.
    const port = await new PortAllocator([10080, 10080]).allocate();
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(10080);
  });

  it("lets the OS choose when no range is given", async () => {
    expect(await new PortAllocator(null).allocate()).toBeGreaterThan(0);
  });

  it("knows when a port is taken", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    expect(await portFree(port)).toBe(false);
    await new Promise((resolve) => server.close(resolve));
    expect(await portFree(port)).toBe(true);
  });
});
