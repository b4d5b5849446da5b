/**
 * WebSocket echo load: `connections` sockets, each sending a message and waiting for its echo,
 * over and over for `seconds`. Every echo must be `echo:<message>` (the fixture's web app).
 */
import WebSocket from "ws";
import { summarize, type LoadSummary } from "./latency-summary.ts";

export interface WsEchoLoad {
  url: string;
  host?: string;
  connections: number;
  seconds: number;
}

function open(url: string, host: string | undefined): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { ...(host && { headers: { host } }), perMessageDeflate: false });
    socket.once("open", () => resolve(socket));
    socket.once("error", reject);
  });
}

export async function wsEchoLoad(load: WsEchoLoad): Promise<LoadSummary> {
  const sockets = await Promise.all(
    Array.from({ length: load.connections }, () => open(load.url, load.host)),
  );
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + load.seconds * 1000;
  const payload = "x".repeat(64);
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve) => {
          let sentAt = 0;
          const send = () => {
            if (performance.now() >= until) return resolve();
            sentAt = performance.now();
            socket.send(payload);
          };
          socket.on("message", (data) => {
            if (String(data) === `echo:${payload}`) latencies.push(performance.now() - sentAt);
            else errors++;
            send();
          });
          socket.on("error", () => errors++);
          socket.on("close", () => resolve());
          send();
        }),
    ),
  );
  for (const socket of sockets) socket.terminate();
  return summarize(latencies, load.seconds, errors);
}
