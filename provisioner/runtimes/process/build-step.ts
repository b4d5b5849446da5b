/** One app's `build`, run in its path; skipped while its input hash equals that of its last successful build. */
import { join } from "node:path";
import { ProvisionError } from "../../errors.ts";
import type { RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import type { OutputCapture } from "./output-capture.ts";
import { runCommand } from "./run-command.ts";
import type { StepCache } from "./step-cache.ts";

export interface BuildStepOptions {
  env: RuntimeEnvironment;
  ctx: RuntimeContext;
  owner: string;
  output: OutputCapture;
  cache: StepCache;
  app: string;
  inputHash: string;
}

export async function runBuild({
  env,
  ctx,
  owner,
  output,
  cache,
  app,
  inputHash,
}: BuildStepOptions): Promise<void> {
  const spec = env.manifest.apps[app];
  const command = spec?.build;
  if (!spec || !command) return;
  if ((await cache.read()).builds[app] === inputHash) {
    ctx.event({ step: "build", app, status: "skipped", message: "inputs unchanged since the last build" });
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
  ctx.event({ step: "build", app, status: "succeeded", message: "built" });
}
