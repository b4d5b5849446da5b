/**
 * What a front runs: a few lines of plain Node (`node -e`), so it depends on no file of previewd's
 * and keeps running, unchanged, across previewd's restarts and upgrades. It listens on one
 * loopback port and pipes each connection to the port its target file names, read anew for every
 * connection: writing that file (atomically) switches every later connection at once, while
 * connections already open stay with the instance they reached.
 */
export const frontProgram = `"use strict";
const net = require("node:net");
const fs = require("node:fs");
const [port, targetFile, title] = process.argv.slice(1);
if (title) process.title = title;
let last = 0;
function target() {
  try {
    const value = Number(fs.readFileSync(targetFile, "utf8").trim());
    if (Number.isInteger(value) && value > 0 && value < 65536) last = value;
  } catch {}
  return last;
}
const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
  const upstream = net.connect({ host: "127.0.0.1", port: target(), allowHalfOpen: true, noDelay: true });
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
