/**
 * Parsing `<app>--<env-id>.<base-domain>[:port]` Host headers. App keys and environment ids may
 * both contain `--`, so every split point is a candidate; the proxy picks the one that names a
 * known environment and app (candidates come first-`--`-first).
 */
export type PreviewHost =
  /** Not under the base domain: the API's business. */
  | { kind: "other" }
  /** Longer than any DNS name: refused with 400 before anything looks at it. */
  | { kind: "too-long"; length: number }
  /** Under the base domain, possibly naming an app of an environment. */
  | { kind: "preview"; host: string; candidates: Array<{ app: string; envId: string }> };

/** A DNS name is at most 253 characters; `:65535` adds 6, an IPv6 literal's brackets 2. */
export const MAX_HOST_HEADER_LENGTH = 253 + 2 + 6;
/** Environment ids are DNS labels; a split leaving a longer id names nothing. */
const MAX_ENV_ID_LENGTH = 63;

const labelCharacters = /^[a-z0-9-]*$/;
const alphanumeric = /[a-z0-9]/;

export function parsePreviewHost(hostHeader: string | undefined, baseDomain: string): PreviewHost {
  const raw = hostHeader ?? "";
  if (raw.length > MAX_HOST_HEADER_LENGTH) return { kind: "too-long", length: raw.length };
  const host = stripPort(raw).toLowerCase().replace(/\.$/, "");
  const suffix = `.${baseDomain.toLowerCase()}`;
  if (!host.endsWith(suffix)) return { kind: "other" };
  const label = host.slice(0, -suffix.length);
  return { kind: "preview", host, candidates: splitPreviewLabel(label) };
}

/**
 * Linear in the label's length: its characters are checked once, then each `--` is a candidate
 * when the characters around it end the app and start the id (a DNS label starts and ends with a
 * letter or digit). Slicing happens only for ids short enough to exist, so at most a bounded
 * number of slices are made whatever the Host's length.
 */
export function splitPreviewLabel(label: string): Array<{ app: string; envId: string }> {
  const candidates: Array<{ app: string; envId: string }> = [];
  if (!labelCharacters.test(label) || !isAlphanumeric(label[0]) || !isAlphanumeric(label.at(-1))) {
    return candidates;
  }
  const firstSplit = Math.max(1, label.length - 2 - MAX_ENV_ID_LENGTH);
  for (let at = label.indexOf("--", firstSplit); at !== -1; at = label.indexOf("--", at + 1)) {
    if (!isAlphanumeric(label[at - 1]) || !isAlphanumeric(label[at + 2])) continue;
    candidates.push({ app: label.slice(0, at), envId: label.slice(at + 2) });
  }
  return candidates;
}

function isAlphanumeric(character: string | undefined): boolean {
  return character !== undefined && alphanumeric.test(character);
}

function stripPort(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.lastIndexOf(":");
  return colon === -1 ? host : host.slice(0, colon);
}
