/**
 * An app's `release`: a one-shot command (migrations, say) run after the app's dependencies are
 * up and before it starts, in its path with the environment its process gets, as the user its
 * process runs as, labelled like every process (a restarted previewd stops it), its output in the
 * app's logs. Exit code != 0 fails the environment with step `release` and the output's tail.
 */
import { join } from "node:path";
import { ProvisionError } from "../../errors.ts";
import type { RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import { childIdentity } from "./child-identity.ts";
import type { OutputCapture } from "./output-capture.ts";
import { runCommand } from "./run-command.ts";

export interface ReleaseStepOptions {
  env: RuntimeEnvironment;
  ctx: RuntimeContext;
  app: string;
  owner: string;
  output: OutputCapture;
  /** The app's environment (appEnvironment()). */
  variables: Record<string, string>;
}

export async function runRelease({
  env,
  ctx,
  app,
  owner,
  output,
  variables,
}: ReleaseStepOptions): Promise<void> {
  const spec = env.manifest.apps[app];
  const command = spec?.release;
  if (!spec || !command) return;
  ctx.event({ step: "release", app, status: "started", message: command });
  const result = await runCommand({
    command,
    cwd: join(env.rootDir, spec.path),
    labels: { owner, envId: env.id, role: "release", name: app },
    output,
    logApp: app,
    signal: ctx.signal,
    env: variables,
    identity: await childIdentity(env, owner),
  });
  if (result.exitCode !== 0) {
    const message = `release of ${app} failed: \`${command}\` exited with code ${result.exitCode}`;
    throw new ProvisionError(message, "release", app, result.tail);
  }
  ctx.event({ step: "release", app, status: "succeeded", message: "released" });
}
