/**
 * How many connections an instance still serves: the TCP sockets on its port, in its network
 * namespace (`/proc/<pid>/net/tcp{,6}`: the host's for a process, the container's for a
 * container), that a client opened and that are not finished. A replaced instance is stopped
 * once none is left (or the drain time is up), so the requests it was answering complete.
 */
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

// ESTABLISHED, SYN_RECV, CLOSE_WAIT (the client is done sending; the answer may still be on its way).
const serving = new Set(["01", "03", "08"]);

/** Open connections to `port` in the network namespace of `pid`; 0 if the process is gone. */
export async function openConnections(pid: number, port: number): Promise<number> {
  const tables = await Promise.all(
    ["tcp", "tcp6"].map((table) => readFile(`/proc/${pid}/net/${table}`, "utf8").catch(() => "")),
  );
  let count = 0;
  for (const line of tables.join("\n").split("\n")) {
    // `sl local_address rem_address st …`, addresses as hex `ADDR:PORT`.
    const [, local, , state] = line.trim().split(/\s+/);
    if (!local || !state || !serving.has(state)) continue;
    if (Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16) === port) count++;
  }
  return count;
}

/**
 * Waits until nothing is connected to `port` in `pid`'s namespace, or `timeoutMs` passed, or
 * `signal` aborted. Resolves with the connections still open (0 once drained).
 */
export async function drainConnections(
  pid: number,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await openConnections(pid, port);
    if (open === 0 || Date.now() >= deadline || signal?.aborted) return open;
    await sleep(20);
  }
}
