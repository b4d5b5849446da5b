/**
 * A `command` service on the process runtime (a digital twin of a third-party API, a mail
 * catcher, a queue): `sh -c <run>` in its path, as the environment's user, with HOST, PORT and
 * its env (serviceEnvironment), in a labelled process group of its own like an app. Ready when
 * its health path answers 2xx/3xx or, without one, when it accepts TCP connections on PORT.
 */
import { join } from "node:path";
import { ProvisionError } from "../../errors.ts";
import { serviceEnvironment } from "../../manifest/interpolate.ts";
import type { CommandServiceSpec } from "../../manifest/manifest-schema.ts";
import type { RuntimeEnvironment } from "../runtime.ts";
import { commandServiceProbe, waitReady } from "../service-readiness.ts";
import { childIdentity, identityBase, identityVariables } from "./child-identity.ts";
import type { OutputCapture } from "./output-capture.ts";
import { childEnvironment } from "./process-labels.ts";
import { spawnDetached, stopGroups } from "./process-group.ts";
import type { ServiceProcessHandle } from "./process-handles.ts";

export interface StartCommandServiceOptions {
  env: RuntimeEnvironment;
  owner: string;
  name: string;
  spec: CommandServiceSpec;
  port: number;
  output: OutputCapture;
  signal: AbortSignal;
  readyTimeoutMs: number;
  stopGraceMs: number;
}

export function commandServiceUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

export async function startCommandService(
  options: StartCommandServiceOptions,
): Promise<ServiceProcessHandle> {
  const { env, owner, name, spec, port, output } = options;
  if (!spec.run) {
    throw new ProvisionError(
      `service ${name} has no run command: the process runtime needs services.${name}.run`,
      "services",
      name,
    );
  }
  const variables = serviceEnvironment(env.manifest, name, {
    env: { id: env.id, ref: env.ref, commit: env.commit },
    apps: Object.fromEntries(Object.entries(env.appUrls).map(([app, url]) => [app, { url }])),
    port,
  });
  const identity = await childIdentity(env, owner);
  const files = await output.open(name, name);
  const child = await spawnDetached({
    command: "sh",
    args: ["-c", spec.run],
    cwd: join(env.rootDir, spec.path),
    env: childEnvironment(
      { ...identityVariables(identity), ...variables },
      { owner, envId: env.id, role: "command", name },
      identityBase(identity),
    ),
    stdout: files.stdout,
    stderr: files.stderr,
    ...(identity && { uid: identity.uid, gid: identity.gid }),
  }).finally(() => files.close());
  const problem = await waitReady({
    probe: commandServiceProbe(port, spec.health),
    exitCode: child.exitCode,
    timeoutMs: options.readyTimeoutMs,
    signal: options.signal,
  });
  if (problem !== undefined) {
    await stopGroups([{ pgid: child.pid, role: "command" }], options.stopGraceMs);
    const ready = spec.health
      ? `${spec.health} answers 2xx/3xx`
      : `it accepts TCP connections on PORT ${port}`;
    const message = `service ${name} ${problem}; it is ready once ${ready}`;
    throw new ProvisionError(message, "services", name, await output.tail(name));
  }
  return { pid: child.pid, port };
}
