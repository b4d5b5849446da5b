/** Writing a guard's refusal as 403 problem+json, on a plain response or on a socket asking to upgrade. */
import { STATUS_CODES, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { toProblem } from "../api/problem.ts";
import type { PreviewdError } from "../errors.ts";

export function refuseRequest(res: ServerResponse, error: PreviewdError): void {
  const body = JSON.stringify(toProblem(error));
  res.writeHead(error.status, {
    "Content-Type": "application/problem+json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}

export function refuseUpgrade(socket: Duplex, error: PreviewdError): void {
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify(toProblem(error));
  socket.end(
    [
      `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? "Error"}`,
      "Connection: close",
      "Content-Type: application/problem+json; charset=utf-8",
      `Content-Length: ${Buffer.byteLength(body)}`,
      "",
      body,
    ].join("\r\n"),
  );
}
