import { OFREPProvider } from "@openfeature/ofrep-provider";
import { OpenFeature, type EvaluationDetails, type FlagValue } from "@openfeature/server-sdk";

/** The flags declared in preview.yaml, with their types. */
export interface ShopFlags {
  "new-checkout": boolean;
  "banner-text": string;
  "page-size": number;
}
export type FlagKey = keyof ShopFlags;

/** Must match preview.yaml's defaults: used whenever previewd's flags cannot be read. */
export const flagDefaults: Readonly<ShopFlags> = {
  "new-checkout": false,
  "banner-text": "Welcome",
  "page-size": 20,
};

export interface FlagReader {
  get<K extends FlagKey>(key: K): Promise<ShopFlags[K]>;
  all(): Promise<ShopFlags>;
  close(): Promise<void>;
}

export interface FlagReaderOptions {
  env?: NodeJS.ProcessEnv;
  /** A flag lookup must never hold a page up for long; past this the default is used. */
  timeoutMs?: number;
  log?: (message: string) => void;
}

/**
 * Reads flags through OpenFeature and an OFREP provider pointed at `PREVIEW_FLAGS_URL` (previewd
 * sets it). Without that URL, or while it is unreachable, every flag has its default: flags never
 * block startup, health checks or pages.
 */
export function createFlagReader(options: FlagReaderOptions = {}): FlagReader {
  const { env = process.env, timeoutMs = 1000, log = console.warn } = options;
  const baseUrl = env.PREVIEW_FLAGS_URL;
  const provider = baseUrl ? createProvider(baseUrl, env.PREVIEW_FLAGS_TOKEN, timeoutMs, log) : undefined;
  // Not setProviderAndWait: the OFREP provider has nothing to initialise, and startup must not wait.
  if (provider) OpenFeature.setProvider(provider);
  const client = OpenFeature.getClient();
  // Per key, so one broken flag does not hide (or keep announcing) the state of the others.
  const failing = new Set<string>();

  function track(key: string, details: EvaluationDetails<FlagValue>): void {
    if (!provider) return;
    if (details.errorCode && !failing.has(key)) {
      failing.add(key);
      log(
        `flags: using the default of "${key}", cannot evaluate it at ${baseUrl}: ${details.errorMessage ?? details.errorCode}`,
      );
    } else if (!details.errorCode && failing.delete(key)) {
      log(`flags: evaluating "${key}" from ${baseUrl} again`);
    }
  }

  async function get<K extends FlagKey>(key: K): Promise<ShopFlags[K]> {
    const fallback: FlagValue = flagDefaults[key];
    let details: EvaluationDetails<FlagValue>;
    if (typeof fallback === "boolean") details = await client.getBooleanDetails(key, fallback);
    else if (typeof fallback === "number") details = await client.getNumberDetails(key, fallback);
    else details = await client.getStringDetails(key, String(fallback));
    track(key, details);
    return details.value as ShopFlags[K];
  }

  return {
    get,
    async all() {
      const [newCheckout, bannerText, pageSize] = await Promise.all([
        get("new-checkout"),
        get("banner-text"),
        get("page-size"),
      ]);
      return { "new-checkout": newCheckout, "banner-text": bannerText, "page-size": pageSize };
    },
    async close() {
      await OpenFeature.close();
    },
  };
}

function createProvider(
  baseUrl: string,
  token: string | undefined,
  timeoutMs: number,
  log: (message: string) => void,
): OFREPProvider | undefined {
  try {
    return new OFREPProvider({
      baseUrl,
      headers: token ? [["Authorization", `Bearer ${token}`]] : [],
      fetchImplementation: (input: string | URL | Request, init?: RequestInit) =>
        fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) }),
    });
  } catch (error) {
    log(`flags: using defaults, PREVIEW_FLAGS_URL is unusable: ${(error as Error).message}`);
    return undefined;
  }
}
