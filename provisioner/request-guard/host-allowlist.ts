/**
 * Which `Host` headers previewd answers outside preview hosts: its loopback names on any port, the
 * host of PREVIEWD_PUBLIC_URL and PREVIEWD_ALLOWED_HOSTS. A page that rebinds its own name to
 * 127.0.0.1 still sends that name as Host, so this check is what stops DNS rebinding.
 */
import type { GuardConfig } from "./guard-config.ts";

/** A host as a URL parser reads it: lower-cased, IPv6 in brackets, no trailing dot; port "" when absent. */
export interface HostName {
  hostname: string;
  port: string;
}

const loopbackNames = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** `undefined` for anything that is not a bare `host[:port]` (paths, credentials, spaces, oversized). */
export function parseHost(value: string | undefined): HostName | undefined {
  if (!value || value.length > 1024 || /[\s/\\?#@]/.test(value)) return undefined;
  try {
    const url = new URL(`http://${value}`);
    return { hostname: url.hostname.replace(/\.$/, ""), port: url.port };
  } catch {
    return undefined;
  }
}

interface Rule {
  name: string;
  /** `.example.com`: the name and every name under it. */
  subdomains: boolean;
  /** Only this port when set. */
  port?: string;
}

export class HostAllowlist {
  readonly #rules: Rule[];

  constructor(config: Pick<GuardConfig, "allowedHosts" | "publicUrl">) {
    this.#rules = config.allowedHosts.flatMap((entry) => {
      const subdomains = entry.startsWith(".");
      const parsed = parseHost(subdomains ? entry.slice(1) : entry);
      if (!parsed) return [];
      const explicitPort = /:\d+$/.test(entry) && !entry.endsWith("]");
      return [{ name: parsed.hostname, subdomains, ...(explicitPort && { port: parsed.port }) }];
    });
    if (config.publicUrl) {
      this.#rules.push({ name: new URL(config.publicUrl).hostname.replace(/\.$/, ""), subdomains: false });
    }
  }

  allows(host: HostName): boolean {
    if (loopbackNames.has(host.hostname)) return true;
    return this.#rules.some(
      (rule) =>
        (host.hostname === rule.name || (rule.subdomains && host.hostname.endsWith(`.${rule.name}`))) &&
        (rule.port === undefined || rule.port === host.port),
    );
  }

  /** Loopback names, for error messages. */
  static describe(config: Pick<GuardConfig, "allowedHosts" | "publicUrl">): string {
    const extra = [...config.allowedHosts, ...(config.publicUrl ? [new URL(config.publicUrl).host] : [])];
    return ["localhost", "127.0.0.1", "[::1]", ...extra].join(", ");
  }
}
