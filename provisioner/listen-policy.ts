/**
 * previewd answers beyond loopback only with a token. A check of its own so that `previewd serve`
 * can refuse before it loads the service (seconds on a busy machine), and startPreviewd still
 * refuses whoever calls it.
 */
import { isLoopbackHost, type Config } from "./config.ts";
import { ValidationError } from "./errors.ts";

export function assertListenAllowed(config: Pick<Config, "host" | "token">): void {
  if (!isLoopbackHost(config.host) && !config.token) {
    throw new ValidationError(`refusing to listen on ${config.host} without a token`, {
      errors: [{ path: "PREVIEWD_TOKEN", message: "set a token to listen on a non-loopback address" }],
    });
  }
}
