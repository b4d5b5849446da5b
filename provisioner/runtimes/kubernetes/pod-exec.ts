/**
 * Runs a command to completion in the pod behind an app's Service, like `kubectl exec … -- sh -c`
 * (@kubernetes/client-node's Exec): the container's own environment plus the given variables,
 * output captured line by line, the exit code read from the API server's closing status.
 */
import { Writable } from "node:stream";
import type { CoreV1Api, Exec, V1Status } from "@kubernetes/client-node";
import type { ExecResult } from "../runtime.ts";
import { podBehind } from "./service-forward.ts";

export interface PodExecOptions {
  core: CoreV1Api;
  exec: Exec;
  namespace: string;
  service: string;
  command: string;
  env?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
  onLine(line: string): void;
}

const keptLines = 300;

export async function execInService(options: PodExecOptions): Promise<ExecResult> {
  const pod = await podBehind(options.core, options.namespace, options.service);
  const container = pod.spec?.containers[0]?.name ?? options.service;
  const output: string[] = [];
  let partial = "";
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = (partial + chunk.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) take(line);
      done();
    },
  });
  const take = (line: string) => {
    output.push(line);
    if (output.length > keptLines) output.shift();
    options.onLine(line);
  };
  const variables = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const argv = [...(variables.length > 0 ? ["env", ...variables] : []), "sh", "-c", options.command];
  return new Promise<ExecResult>((resolve, reject) => {
    let settled = false;
    const finish = (exitCode: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", stop);
      if (partial) take(partial);
      resolve({ exitCode, output });
    };
    let socket: { close(): void } | undefined;
    const stop = () => {
      socket?.close();
      finish(-1);
    };
    const timer = setTimeout(stop, options.timeoutMs ?? 5 * 60_000);
    options.signal?.addEventListener("abort", stop, { once: true });
    options.exec
      .exec(options.namespace, pod.metadata!.name!, container, argv, sink, sink, null, false, (status) =>
        finish(exitCodeOf(status)),
      )
      .then((ws) => {
        socket = ws;
        if (settled) ws.close();
        // Closed without a status (an old API server, a dropped connection): nothing says it ran.
        ws.on("close", () => finish(-1));
      })
      .catch((error: unknown) => {
        settled = true;
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
  });
}

/** `Success`, or `NonZeroExitCode` with the code among the causes. */
function exitCodeOf(status: V1Status): number {
  if (status.status === "Success") return 0;
  const code = status.details?.causes?.find((c) => c.reason === "ExitCode")?.message;
  return code !== undefined && /^\d+$/.test(code) ? Number(code) : 1;
}
