/**
 * `npm run demo`: start previewd, provision examples/shop from this repository, print its URLs
 * and serve until Ctrl-C; then delete the environment and stop.
 */
import { Command } from "commander";
import { packageRoot as repoRoot } from "./package-info.ts";

export function demoCommand(): Command {
  return new Command("demo")
    .description("run examples/shop from this repository in previewd until Ctrl-C")
    .action(runDemo);
}

async function runDemo(): Promise<void> {
  // Loaded lazily, like serve's, so that other commands do not load the service's dependencies.
  const [{ loadConfig }, { createLogger }, { startPreviewd }] = await Promise.all([
    import("../config.ts"),
    import("../logger.ts"),
    import("../previewd.ts"),
  ]);
  const config = loadConfig();
  const previewd = await startPreviewd(config, {
    logger: createLogger({ level: process.env.PREVIEWD_LOG_LEVEL ?? "warn" }),
  });
  const { orchestrator } = previewd;
  console.error(`previewd listening on ${previewd.url}`);

  const { environment } = await orchestrator.create({ repo: repoRoot, dir: "examples/shop" });
  const stop = orchestrator.subscribe(environment.id, (event) => {
    const subject = event.app ? `${event.step} ${event.app}` : event.step;
    console.error(`  ${event.status === "failed" ? "✗" : "·"} ${subject}: ${event.message}`);
  });
  const ready = await orchestrator.waitFor(environment.id, ["ready", "degraded", "failed"], 15 * 60_000);
  stop();

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.error("\nstopping: deleting the demo environment");
    await orchestrator.delete(environment.id).catch(() => undefined);
    await orchestrator.waitForDeletion(environment.id, 60_000).catch(() => undefined);
    await previewd.close();
    process.exit(ready.status === "failed" ? 1 : 0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);

  if (ready.status === "failed") {
    console.error(
      `\nprovisioning failed at ${ready.error?.step}${ready.error?.app ? ` (${ready.error.app})` : ""}: ${ready.error?.message}`,
    );
    for (const line of ready.error?.logTail ?? []) console.error(`  | ${line}`);
    await shutdown();
    return;
  }
  console.log(`\nexamples/shop is ready (${ready.id}, ${ready.timings.total} ms):`);
  for (const [app, view] of Object.entries(ready.apps))
    console.log(`  ${app.padEnd(8)} ${view.url}  (direct: ${view.directUrl})`);
  console.log(
    `\nAPI: ${previewd.url}/v1/environments/${ready.id}\nPress Ctrl-C to stop and delete the environment.`,
  );
}
