/**
 * One app's `build`, run in its path; skipped while its input hash equals that of its last
 * successful build, copied when another environment already built the same inputs.
 */
import { join } from "node:path";
import { ProvisionError } from "../../errors.ts";
import { appOwnsFile } from "../app-input-hash.ts";
import type { RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import type { OutputCapture } from "./output-capture.ts";
import { runCommand } from "./run-command.ts";
import { share, untrackedEntries, type SharedOutputs } from "./shared-outputs.ts";
import type { StepCache } from "./step-cache.ts";

export interface BuildStepOptions {
  env: RuntimeEnvironment;
  ctx: RuntimeContext;
  owner: string;
  output: OutputCapture;
  cache: StepCache;
  app: string;
  inputHash: string;
  /** Builds other environments made, by input hash; undefined: nothing is shared. */
  shared?: SharedOutputs;
}

export async function runBuild({
  env,
  ctx,
  owner,
  output,
  cache,
  app,
  inputHash,
  shared,
}: BuildStepOptions): Promise<void> {
  const spec = env.manifest.apps[app];
  const command = spec?.build;
  if (!spec || !command) return;
  if ((await cache.read()).builds[app] === inputHash) {
    ctx.event({ step: "build", app, status: "skipped", message: "inputs unchanged since the last build" });
    return;
  }
  const key = `build-${inputHash}`;
  const sharing = shared && !env.inPlace ? shared : undefined;
  if (sharing && (await sharing.restore(key, env.rootDir))) {
    await cache.update((record) => (record.builds[app] = inputHash));
    const message = "copied from another environment's build of the same inputs";
    ctx.event({ step: "build", app, status: "skipped", message });
    return;
  }
  ctx.event({ step: "build", app, status: "started", message: command });
  const result = await runCommand({
    command,
    cwd: join(env.rootDir, spec.path),
    labels: { owner, envId: env.id, role: "build", name: app },
    output,
    logApp: app,
    signal: ctx.signal,
  });
  if (result.exitCode !== 0) {
    const message = `build of ${app} failed: \`${command}\` exited with code ${result.exitCode}`;
    throw new ProvisionError(message, "build", app, result.tail);
  }
  await cache.update((record) => (record.builds[app] = inputHash));
  if (sharing) await share(ctx, "build", () => sharing.save(key, env.rootDir, builtFiles(env, app)), app);
  ctx.event({ step: "build", app, status: "succeeded", message: "built" });
}

/**
 * What an app's build leaves that belongs to it: untracked files in its own path and in shared
 * places (a shared package's `dist`, which its inputs cover too), never another app's outputs,
 * which may have been built from other inputs, and never `node_modules` (the install's).
 */
async function builtFiles(env: RuntimeEnvironment, app: string): Promise<string[]> {
  const owns = appOwnsFile(env.manifest, app);
  return (await untrackedEntries(env.rootDir)).filter(
    (path) => owns(path) && !path.split("/").includes("node_modules"),
  );
}
