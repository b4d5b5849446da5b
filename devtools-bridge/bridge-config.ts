/** The bridge's settings, from CHROMIUM_PATH and PREVIEWD_* variables (see README "Browser per environment"). */
import { z } from "zod";
import { ValidationError } from "../provisioner/errors.ts";

export const bridgeConfigSchema = z.object({
  /** Chromium to run; default: /usr/bin/chromium, else `chromium` on PATH, else Playwright's. */
  chromiumPath: z.string().min(1).optional(),
  /** A browser with no connections and no requests for this long is stopped. */
  idleMs: z.coerce
    .number()
    .int()
    .min(100)
    .default(5 * 60_000),
  /** Browsers running at once; beyond it an idle one is stopped, or the request gets 429. */
  maxBrowsers: z.coerce.number().int().min(1).max(64).default(4),
  /** Deadline for a screenshot's page to load (and match `waitFor`). */
  navigationTimeoutMs: z.coerce.number().int().min(100).max(300_000).default(30_000),
});
export type BridgeConfig = z.infer<typeof bridgeConfigSchema>;

const variables: Record<keyof BridgeConfig, string> = {
  chromiumPath: "CHROMIUM_PATH",
  idleMs: "PREVIEWD_BROWSER_IDLE_MS",
  maxBrowsers: "PREVIEWD_MAX_BROWSERS",
  navigationTimeoutMs: "PREVIEWD_NAVIGATION_TIMEOUT_MS",
};

export function bridgeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): BridgeConfig {
  const raw: Record<string, string> = {};
  for (const [key, name] of Object.entries(variables)) {
    const value = env[name];
    if (value) raw[key] = value;
  }
  const parsed = bridgeConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new ValidationError("invalid browser configuration", {
    errors: parsed.error.issues.map((issue) => {
      const name = variables[String(issue.path[0]) as keyof BridgeConfig] ?? String(issue.path[0]);
      return { path: name, message: `${issue.message} (got ${JSON.stringify(raw[String(issue.path[0])])})` };
    }),
  });
}
