/**
 * Parsing `<app>--<env-id>.<base-domain>[:port]` Host headers. App keys and environment ids may
 * both contain `--`, so every split point is a candidate; the proxy picks the one that names a
 * known environment and app (candidates come first-`--`-first).
 */
export type PreviewHost =
  /** Not under the base domain: the API's business. */
  | { kind: "other" }
  /** Under the base domain, possibly naming an app of an environment. */
  | { kind: "preview"; host: string; candidates: Array<{ app: string; envId: string }> };

const dnsLabel = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export function parsePreviewHost(hostHeader: string | undefined, baseDomain: string): PreviewHost {
  const host = stripPort(hostHeader ?? "")
    .toLowerCase()
    .replace(/\.$/, "");
  const suffix = `.${baseDomain.toLowerCase()}`;
  if (!host.endsWith(suffix)) return { kind: "other" };
  const label = host.slice(0, -suffix.length);
  const candidates: Array<{ app: string; envId: string }> = [];
  if (!label.includes(".")) {
    for (let at = label.indexOf("--"); at > 0; at = label.indexOf("--", at + 1)) {
      const app = label.slice(0, at);
      const envId = label.slice(at + 2);
      if (dnsLabel.test(app) && dnsLabel.test(envId)) candidates.push({ app, envId });
    }
  }
  return { kind: "preview", host, candidates };
}

function stripPort(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.lastIndexOf(":");
  return colon === -1 ? host : host.slice(0, colon);
}
