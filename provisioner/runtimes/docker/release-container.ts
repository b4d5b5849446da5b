/**
 * An app's `release` on the docker runtime: a one-shot container of the app's image, with the
 * app's environment and limits, on the environment's network (so `${services.db.url}` reaches the
 * database), running `sh -c <release>`. Labelled like every object of the environment (cleanup
 * finds it), removed once it exits, its output in the app's logs. Exit code != 0 fails the
 * environment with step `release` and the output's tail.
 */
import { once } from "node:events";
import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import { ProvisionError } from "../../errors.ts";
import type { LogStream } from "../../logs/log-store.ts";
import type { RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import type { AppContainerSpec } from "./app-container.ts";
import type { ContainerLogs } from "./container-logs.ts";
import { ignoreGone } from "./docker-engine.ts";
import { containerName, labelFilter, labelsOf } from "./docker-labels.ts";
import { gatewayHostname } from "./flags-gateway.ts";

const tailLines = 30;
/** How long to wait for the last output once the container exited. */
const drainMs = 1_000;

export interface ReleaseContainerOptions {
  docker: Docker;
  owner: string;
  env: RuntimeEnvironment;
  ctx: RuntimeContext;
  app: string;
  /** The app's container settings: image, env and limits. */
  spec: AppContainerSpec;
  network: { name: string; gateway: string };
  logs: ContainerLogs;
}

export async function runReleaseContainer(options: ReleaseContainerOptions): Promise<void> {
  const { docker, owner, env, ctx, app, spec } = options;
  const command = env.manifest.apps[app]?.release;
  if (!command) return;
  ctx.event({ step: "release", app, status: "started", message: command });
  // One left by an interrupted run of ours would hold the name.
  const labels = { owner, envId: env.id, role: "release" as const, name: app };
  for (const stale of await docker.listContainers({ all: true, filters: labelFilter(labels) }))
    await ignoreGone(docker.getContainer(stale.Id).remove({ force: true }));
  const container = await docker.createContainer({
    // An app key has no ".", so no app's container can be named so.
    name: `${containerName(env.id, app)}.release`,
    Image: spec.image,
    Env: spec.env,
    Entrypoint: ["sh", "-c"],
    Cmd: [command],
    Labels: labelsOf(labels),
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: {
      ExtraHosts: [`${gatewayHostname}:${options.network.gateway}`],
      RestartPolicy: { Name: "no" },
      NetworkMode: options.network.name,
      ...spec.limits,
    },
  });
  const kill = () => void container.kill().catch(() => undefined);
  ctx.signal.addEventListener("abort", kill, { once: true });
  try {
    const tail: string[] = [];
    const output = await container.attach({ stream: true, stdout: true, stderr: true });
    const line = (stream: LogStream) => (text: string) => {
      tail.push(text);
      if (tail.length > tailLines) tail.shift();
      options.logs.line(app, stream, text);
    };
    const ended = once(output, "end").catch(() => undefined);
    const out = lines(line("stdout"));
    const err = lines(line("stderr"));
    docker.modem.demuxStream(output, out, err);
    await container.start();
    const { StatusCode: exitCode } = (await container.wait()) as { StatusCode: number };
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
    await Promise.all([out, err].map((stream) => (stream.end(), once(stream, "end"))));
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (exitCode !== 0) {
      const message = `release of ${app} failed: \`${command}\` exited with code ${exitCode}`;
      throw new ProvisionError(message, "release", app, tail);
    }
    ctx.event({ step: "release", app, status: "succeeded", message: "released" });
  } finally {
    ctx.signal.removeEventListener("abort", kill);
    await ignoreGone(container.remove({ force: true }));
  }
}

/** A writable stream that calls `onLine` with each complete line (and the last, unterminated one). */
function lines(onLine: (line: string) => void): PassThrough {
  const pass = new PassThrough();
  let buffer = "";
  pass.setEncoding("utf8");
  pass.on("data", (chunk: string) => {
    buffer += chunk;
    let index: number;
    while ((index = buffer.indexOf("\n")) >= 0) {
      onLine(buffer.slice(0, index));
      buffer = buffer.slice(index + 1);
    }
  });
  pass.on("end", () => buffer && onLine(buffer));
  return pass;
}
