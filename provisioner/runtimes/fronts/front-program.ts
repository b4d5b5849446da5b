/**
 * What a front runs: a few lines of plain Node (`node -e`), so it depends on no file of previewd's
 * and keeps running, unchanged, across previewd's restarts and upgrades. It listens on one
 * loopback port and pipes each connection to the port its target file names, read anew for every
 * connection: writing that file (atomically) switches every later connection at once, while
 * connections already open stay with the instance they reached.
 *
 * Once the target changed, a connection still piped to an earlier target is ended as soon as it
 * is idle: the last bytes it carried were the instance's (an answer, not a request waiting for
 * one) and nothing moved since for `quietMs` (argv, default 1 s). A client's keep-alive
 * connection would otherwise keep reaching the replaced instance until the client or the
 * instance times it out (4–5 s for Node's), and the switchover waits for exactly that before
 * `ready`; ended, the client's next request opens a new connection, to the new instance. A
 * connection waiting for an answer stays however long that takes. The front sees bytes, not
 * HTTP: an answer whose instance pauses for `quietMs` in the middle of its body after the switch
 * is cut there (a stream like that is cut when the old instance stops anyway, `drainMs` later).
 */
export const frontProgram = `"use strict";
const net = require("node:net");
const fs = require("node:fs");
const path = require("node:path");
const [port, targetFile, title, quiet] = process.argv.slice(1);
if (title) process.title = title;
const quietMs = quiet === undefined || quiet === "" || !(Number(quiet) >= 0) ? 1000 : Number(quiet);
let last = 0;
function target() {
  try {
    const value = Number(fs.readFileSync(targetFile, "utf8").trim());
    if (Number.isInteger(value) && value > 0 && value < 65536) last = value;
  } catch {}
  return last;
}
const open = new Set();
let sweeping;
function sweep() {
  const now = Date.now();
  let waiting = 0;
  for (const pipe of open) {
    if (pipe.port === last) continue;
    if (pipe.answered && now - pipe.at >= quietMs) {
      open.delete(pipe);
      pipe.client.end();
      pipe.upstream.end();
      setTimeout(() => { pipe.client.destroy(); pipe.upstream.destroy(); }, 2000).unref();
    } else waiting++;
  }
  if (waiting === 0) { clearInterval(sweeping); sweeping = undefined; }
}
function current() {
  const before = last;
  const now = target();
  if (now !== before && before !== 0 && !sweeping) {
    sweeping = setInterval(sweep, Math.max(10, Math.min(20, quietMs / 4)));
    setImmediate(sweep);
  }
  return now;
}
try { fs.watch(path.dirname(targetFile), () => current()).on("error", () => {}); } catch {}
const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
  const pipe = { client, port: current(), at: Date.now(), answered: true };
  pipe.upstream = net.connect({ host: "127.0.0.1", port: pipe.port, allowHalfOpen: true, noDelay: true });
  const { upstream } = pipe;
  open.add(pipe);
  const done = () => open.delete(pipe);
  client.on("close", done);
  upstream.on("close", done);
  client.on("data", () => { pipe.at = Date.now(); pipe.answered = false; });
  upstream.on("data", () => { pipe.at = Date.now(); pipe.answered = true; });
  upstream.on("error", () => { client.resetAndDestroy(); upstream.destroy(); });
  client.on("error", () => { upstream.destroy(); client.destroy(); });
  client.pipe(upstream);
  upstream.pipe(client);
});
server.on("error", (error) => {
  process.stderr.write("front on port " + port + ": " + error.message + "\\n");
  process.exit(2);
});
server.listen({ host: "127.0.0.1", port: Number(port), exclusive: true }, () => {
  process.stdout.write("listening on " + port + "\\n");
});
`;
