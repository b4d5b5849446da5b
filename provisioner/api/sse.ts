/** A minimal Server-Sent Events writer: headers, `id:`/`data:` frames, heartbeats, cleanup on disconnect. */
import type { Request, Response } from "express";

export interface EventStream {
  send(data: unknown, id?: string | number): void;
  /** Runs once when the client goes away or the stream is closed. */
  onClose(listener: () => void): void;
  close(): void;
}

export function openEventStream(req: Request, res: Response, options: { heartbeatMs: number }): EventStream {
  res.status(200).set({
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache, no-transform",
    Connection: "keep-alive",
    // Reverse proxies such as nginx would otherwise buffer the stream.
    "X-Accel-Buffering": "no",
  });
  res.flushHeaders();
  res.write(": connected\n\n");

  const listeners: Array<() => void> = [];
  let closed = false;
  const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), options.heartbeatMs);
  heartbeat.unref();
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const listener of listeners) listener();
  };
  req.on("close", finish);
  res.on("close", finish);

  return {
    send(data, id) {
      if (closed) return;
      const idLine = id === undefined ? "" : `id: ${id}\n`;
      res.write(`${idLine}data: ${JSON.stringify(data)}\n\n`);
    },
    onClose(listener) {
      if (closed) listener();
      else listeners.push(listener);
    },
    close() {
      finish();
      res.end();
    },
  };
}
