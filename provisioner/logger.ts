import { pino, type Logger } from "pino";

export type { Logger };

/** previewd's structured logger. Credentials never reach it: connection URLs and tokens are redacted. */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.PREVIEWD_LOG_LEVEL ?? "info",
      redact: ["token", "*.token", "url", "*.url", "headers.authorization", "req.headers.authorization"],
    },
    options.destination ?? pino.destination(2),
  );
}

/** A logger that writes nothing, for tests and library use. */
export const silentLogger: Logger = pino({ level: "silent" });
