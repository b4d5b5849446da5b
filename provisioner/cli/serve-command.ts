/** `previewd serve`: run the service in the foreground until SIGINT/SIGTERM. */
import { Command } from "commander";

interface ServeOptions {
  host?: string;
  port?: string;
  dataDir?: string;
  baseDomain?: string;
  runtime?: string;
  token?: string;
  tokenFile?: string;
}

export function serveCommand(): Command {
  return new Command("serve")
    .description("run previewd (API, preview proxy and CDP bridge)")
    .option("--host <host>", "address to listen on (default: $PREVIEWD_HOST or 127.0.0.1)")
    .option("--port <port>", "port to listen on (default: $PREVIEWD_PORT or 7070)")
    .option(
      "--data-dir <dir>",
      "where worktrees, data and state live (default: $PREVIEWD_DATA_DIR or ~/.previewd)",
    )
    .option("--base-domain <domain>", "preview URLs are <app>--<env>.<domain> (default: localhost)")
    .option("--runtime <runtime>", "default runtime: process, docker or kubernetes")
    .option("--token <token>", "require Authorization: Bearer <token> (default: $PREVIEWD_TOKEN)")
    .option(
      "--token-file <file>",
      "read the token from a file, kept out of every environment (default: $PREVIEWD_TOKEN_FILE)",
    )
    .action(async (options: ServeOptions) => {
      // Loaded lazily so client commands start fast and do not load the service's dependencies;
      // config first, so that a refused configuration is reported before the service loads.
      const [{ loadConfig }, { assertListenAllowed }, { createLogger }] = await Promise.all([
        import("../config.ts"),
        import("../listen-policy.ts"),
        import("../logger.ts"),
      ]);
      const config = loadConfig({ ...options });
      assertListenAllowed(config);
      const logger = createLogger();
      const { startPreviewd } = await import("../previewd.ts");
      const running = await startPreviewd(config, { logger });
      console.log(`previewd listening on ${running.url}`);
      await untilSignal();
      console.error("shutting down…");
      await running.close();
    });
}

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = () => {
      if (received) process.exit(130);
      received = true;
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
