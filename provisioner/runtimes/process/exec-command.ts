/**
 * `Runtime.exec` for the process runtime: a one-off command with an app's environment (what its
 * process got, recomputed from the deployment), labelled like every process so a restarted
 * previewd finds and stops it, with its output in the app's logs.
 */
import { join } from "node:path";
import { NotFoundError } from "../../errors.ts";
import { appEnvironment } from "../../manifest/interpolate.ts";
import type { Deployment, ExecOptions, ExecResult, RuntimeEnvironment } from "../runtime.ts";
import { childIdentity } from "./child-identity.ts";
import { frontPorts, interpolationValues } from "./interpolation-values.ts";
import type { OutputCapture } from "./output-capture.ts";
import { appHandle } from "./process-handles.ts";
import { runCommand } from "./run-command.ts";

const defaultTimeoutMs = 5 * 60_000;

export interface ExecCommandOptions extends ExecOptions {
  env: Record<string, string>;
  runtimeEnv: RuntimeEnvironment;
  deployment: Deployment;
  app: string;
  command: string;
  owner: string;
  output: OutputCapture;
}

export async function execCommand(options: ExecCommandOptions): Promise<ExecResult> {
  const { runtimeEnv, deployment, app } = options;
  const spec = runtimeEnv.manifest.apps[app];
  if (!spec) throw new NotFoundError(`no app ${JSON.stringify(app)} in the manifest`);
  const own = appHandle(deployment.apps[app])?.port;
  const variables = appEnvironment(
    runtimeEnv.manifest,
    app,
    interpolationValues(runtimeEnv, deployment, frontPorts(deployment), app, own),
  );
  const timeout = AbortSignal.timeout(options.timeoutMs ?? defaultTimeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const result = await runCommand({
    command: options.command,
    cwd: join(runtimeEnv.rootDir, spec.path),
    labels: { owner: options.owner, envId: runtimeEnv.id, role: "exec", name: app },
    output: options.output,
    logApp: app,
    signal,
    env: { ...variables, ...options.env },
    tailLines: 200,
    identity: await childIdentity(runtimeEnv, options.owner),
  });
  const output = timeout.aborted
    ? [...result.tail, `stopped after ${options.timeoutMs ?? defaultTimeoutMs} ms`]
    : result.tail;
  return { exitCode: result.exitCode, output };
}
