/**
 * Every image an environment's stack needs (each app's and each `command` service's), built for
 * the commit and pushed side by side, each one an event, the build output in its logs.
 */
import { randomBytes } from "node:crypto";
import { buildEnvironments } from "../build-values.ts";
import { settleAll, step } from "../provision-steps.ts";
import type { RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import type { ImagePublisher } from "./image-publisher.ts";

export async function publishImages(
  publisher: ImagePublisher,
  env: RuntimeEnvironment,
  ctx: RuntimeContext,
): Promise<Record<string, string>> {
  const commandServices = Object.entries(env.manifest.services)
    .filter(([, spec]) => spec.type === "command")
    .map(([name]) => name);
  const names = [...Object.keys(env.manifest.apps), ...commandServices];
  const variables = buildEnvironments(env);
  const refs = await ctx.phase("build", () =>
    settleAll(
      names.map((name) =>
        step("build", name, async () => {
          ctx.event({ step: "build", app: name, status: "started", message: "image" });
          const image = await publisher.publish(env, name, {
            ...(variables[name] && { variables: variables[name] }),
            signal: ctx.signal,
            onLine: (line) => ctx.logs.append(env.id, { app: name, stream: "stdout", line }),
          });
          ctx.event({
            step: "build",
            app: name,
            status: image.built ? "succeeded" : "skipped",
            message: image.built ? `built and pushed ${image.ref}` : `${image.ref} already there`,
          });
          return [name, image.ref] as const;
        }),
      ),
    ),
  );
  return Object.fromEntries(refs);
}

/** Postgres passwords: kept from the current record, new random ones for new services. */
export function servicePasswords(
  env: RuntimeEnvironment,
  current: Record<string, { handle: Record<string, unknown> }> = {},
): Record<string, string> {
  const passwords: Record<string, string> = {};
  for (const [name, spec] of Object.entries(env.manifest.services)) {
    if (spec.type !== "postgres") continue;
    const kept = current[name]?.handle.password;
    passwords[name] = typeof kept === "string" && kept ? kept : randomBytes(18).toString("base64url");
  }
  return passwords;
}
