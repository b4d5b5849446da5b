/**
 * A seed scenario's `command` step on the docker runtime: `docker exec` of `sh -c <command>` in
 * the app's container (which already has the app's environment; `env` adds to it), in the image's
 * working directory, output captured into the app's logs and returned.
 */
import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import { ConflictError } from "../../errors.ts";
import type { ExecOptions, ExecResult } from "../runtime.ts";
import type { ContainerLogs } from "./container-logs.ts";

const keptLines = 300;

export interface DockerExecOptions extends ExecOptions {
  docker: Docker;
  containerId: string;
  app: string;
  command: string;
  logs: ContainerLogs;
}

export async function dockerExec(options: DockerExecOptions): Promise<ExecResult> {
  const { docker, app } = options;
  const container = docker.getContainer(options.containerId);
  const info = await container.inspect().catch(() => undefined);
  if (!info?.State.Running) throw new ConflictError(`the container of ${app} is not running`);
  const exec = await container.exec({
    Cmd: ["sh", "-c", options.command],
    Env: Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`),
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const output: string[] = [];
  const collect = (name: "stdout" | "stderr") => {
    const pass = new PassThrough();
    let buffer = "";
    pass.setEncoding("utf8");
    const push = (line: string) => {
      output.push(line);
      if (output.length > keptLines) output.shift();
      options.logs.line(app, name, line);
    };
    pass.on("data", (chunk: string) => {
      buffer += chunk;
      let index: number;
      while ((index = buffer.indexOf("\n")) >= 0) {
        push(buffer.slice(0, index));
        buffer = buffer.slice(index + 1);
      }
    });
    pass.on("end", () => buffer && push(buffer));
    return pass;
  };
  const out = collect("stdout");
  const err = collect("stderr");
  docker.modem.demuxStream(stream, out, err);
  const signals = [
    AbortSignal.timeout(options.timeoutMs ?? 300_000),
    ...(options.signal ? [options.signal] : []),
  ];
  const stop = AbortSignal.any(signals);
  const finished = await new Promise<boolean>((resolve) => {
    const onStop = () => resolve(false);
    stop.addEventListener("abort", onStop, { once: true });
    stream.on("end", () => {
      stop.removeEventListener("abort", onStop);
      resolve(true);
    });
    stream.on("error", () => resolve(true));
  });
  out.end();
  err.end();
  if (!finished) {
    // The exec's process runs in the host's pid namespace view as `Pid`: stop it (local engines).
    const pid = (await exec.inspect().catch(() => undefined))?.Pid;
    if (pid && pid > 1) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone, or the engine is remote.
      }
    }
    (stream as unknown as { destroy?: () => void }).destroy?.();
    return { exitCode: -1, output };
  }
  const result = await exec.inspect();
  return { exitCode: result.ExitCode ?? -1, output };
}
