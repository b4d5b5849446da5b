/**
 * Reference hops for the proxy row, each a process of its own in front of the app's directUrl:
 * - `relay`: one more front (the same `node -e` program: a TCP pipe per connection), the least a
 *   separate proxy process can cost on this machine, whatever it does per request;
 * - `no-keep-alive`: http-proxy-3 as previewd used it before keep-alive (no agent: a new upstream
 *   connection per request), without the rest of previewd;
 * - `keep-alive`: http-proxy-3 with a keep-alive agent, as previewd uses it now, without the rest
 *   of previewd (routing, access, metrics, the API on the same event loop).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { frontProgram } from "../../provisioner/runtimes/fronts/front-program.ts";
import { freePort, repoRoot } from "../../test/helpers/serve-process.ts";

export interface ReferenceHop {
  url: string;
  /** The hop's process, to read what it spent (process-clock.ts). */
  pid: number;
  close(): Promise<void>;
}

const libraryProxy = `"use strict";
const http = require("node:http");
const { createProxyServer } = require("http-proxy-3");
const [port, target, keepAlive] = process.argv.slice(1);
const proxy = createProxyServer({ xfwd: true, changeOrigin: false, ws: true });
const agent = keepAlive === "true" && new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });
const server = http.createServer((req, res) => proxy.web(req, res, { target, agent }, () => res.destroy()));
server.on("upgrade", (req, socket, head) => proxy.ws(req, socket, head, { target }, () => socket.destroy()));
server.listen(Number(port), "127.0.0.1", () => process.stdout.write("listening on " + port + "\\n"));
`;

export async function startReferenceHop(
  kind: "relay" | "no-keep-alive" | "keep-alive",
  targetUrl: string,
): Promise<ReferenceHop> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-bench-hop-"));
  const targetFile = path.join(dir, "target.port");
  writeFileSync(targetFile, `${new URL(targetUrl).port}\n`);
  const args =
    kind === "relay"
      ? ["-e", frontProgram, String(port), targetFile, "bench-relay"]
      : ["-e", libraryProxy, String(port), targetUrl, String(kind === "keep-alive")];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  for (let waited = 0; !output.includes("listening"); waited += 20) {
    if (child.exitCode !== null || waited > 10_000) throw new Error(`${kind} hop did not start: ${output}`);
    await sleep(20);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    async close() {
      child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    },
  };
}
