/** Starting one app: `sh -c <start>` in its own process group, then waiting for its health path. */
import { appHealth } from "../../manifest/manifest-schema.ts";
import { join } from "node:path";
import { ProvisionError } from "../../errors.ts";
import { appEnvironment, type InterpolationValues } from "../../manifest/interpolate.ts";
import type { DeployedApp, RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import { unhealthyMessage, waitHealthy } from "../health-check.ts";
import { childIdentity, identityBase, identityVariables } from "./child-identity.ts";
import type { OutputCapture } from "./output-capture.ts";
import { childEnvironment } from "./process-labels.ts";
import { spawnDetached, stopGroups, type DetachedProcess } from "./process-group.ts";
import { settleAll, step } from "../provision-steps.ts";
import { frontUrl, type Front } from "../fronts/app-front.ts";

export interface SpawnAppOptions {
  env: RuntimeEnvironment;
  app: string;
  owner: string;
  values: InterpolationValues;
  output: OutputCapture;
}

export async function spawnApp({
  env,
  app,
  owner,
  values,
  output,
}: SpawnAppOptions): Promise<DetachedProcess> {
  const spec = env.manifest.apps[app];
  if (!spec?.start) {
    throw new ProvisionError(
      `app ${app} has no start command: the process runtime needs apps.${app}.start`,
      "start",
      app,
    );
  }
  const variables = appEnvironment(env.manifest, app, values);
  // Not root's (child-identity.ts): an app must not read previewd's token from its /proc.
  const identity = await childIdentity(env, owner);
  const files = await output.open(app, app);
  try {
    return await spawnDetached({
      command: "sh",
      args: ["-c", spec.start],
      cwd: join(env.rootDir, spec.path),
      env: childEnvironment(
        { ...identityVariables(identity), ...variables },
        { owner, envId: env.id, role: "app", name: app },
        identityBase(identity),
      ),
      stdout: files.stdout,
      stderr: files.stderr,
      ...(identity && { uid: identity.uid, gid: identity.gid }),
    });
  } finally {
    await files.close();
  }
}

export interface AwaitHealthyOptions {
  app: string;
  path: string;
  port: number;
  process: DetachedProcess;
  output: OutputCapture;
  timeoutMs: number;
  stopGraceMs: number;
  signal: AbortSignal;
}

/** Resolves once healthy; otherwise stops the app and throws a ProvisionError with its last output. */
export async function awaitHealthy(options: AwaitHealthyOptions): Promise<void> {
  // Probes 10 ms apart while the app boots, then further apart (health-check.ts probeInterval).
  const result = await waitHealthy({
    port: options.port,
    path: options.path,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    exitCode: options.process.exitCode,
  });
  if (result.ok) return;
  await stopGroups([{ pgid: options.process.pid, role: "app" }], options.stopGraceMs);
  const message = unhealthyMessage(options.app, options.path, options.timeoutMs, result);
  throw new ProvisionError(message, "health", options.app, await options.output.tail(options.app));
}

export interface StartAppOptions extends SpawnAppOptions {
  ctx: RuntimeContext;
  port: number;
  inputHash: string;
  healthTimeoutMs: number;
  stopGraceMs: number;
  /** The app's front, if it has one already: its address is the record's `directUrl`. */
  front?: Front;
  /** Called once the process runs, before the health wait, so it can be checkpointed. */
  onSpawned(app: DeployedApp): Promise<void>;
}

/** Spawns the app and waits for its health path; resolves with the healthy app, or throws a ProvisionError. */
export async function startApp(options: StartAppOptions): Promise<DeployedApp> {
  const { ctx, app, port } = options;
  const spec = options.env.manifest.apps[app];
  const { path: health, timeoutMs = options.healthTimeoutMs } = appHealth(spec);
  ctx.event({ step: "start", app, status: "started", message: spec?.start ?? "" });
  const child = await step("start", app, () => spawnApp(options));
  const { front } = options;
  const started: DeployedApp = {
    status: "starting",
    directUrl: front ? frontUrl(front) : `http://127.0.0.1:${port}`,
    inputHash: options.inputHash,
    handle: { pid: child.pid, pgid: child.pid, port, ...(front && { front }) },
  };
  // The record (written to disk) and the health wait side by side: nothing acts on the app's
  // health before both are done.
  const recorded = options.onSpawned(started);
  ctx.event({ step: "health", app, status: "started", message: `waiting for ${health} on port ${port}` });
  const healthy = awaitHealthy({
    app,
    path: health,
    port,
    process: child,
    output: options.output,
    timeoutMs,
    stopGraceMs: options.stopGraceMs,
    signal: ctx.signal,
  });
  await settleAll([recorded, healthy]);
  ctx.event({ step: "health", app, status: "succeeded", message: `healthy on port ${port}` });
  return { ...started, status: "healthy" };
}
