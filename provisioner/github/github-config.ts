/**
 * The GitHub integration's settings, read from the environment (GITHUB_* and PREVIEWD_GITHUB_*),
 * kept apart from previewd's core configuration because nothing else needs them.
 */
import { z } from "zod";
import { ttlSchema } from "../environments/environment-schema.ts";
import { ValidationError } from "../errors.ts";

export interface GitHubConfig {
  /** Verifies webhook signatures; without it the webhook is disabled. */
  webhookSecret?: string;
  /** Posts comments and commit statuses; without it nothing is posted. */
  token?: string;
  /** REST API base URL; GitHub Enterprise and test doubles set it. */
  apiUrl: string;
  /** Served repositories: lower-cased `owner/name` → clone URL or local path. */
  repos: Map<string, string>;
  /** Time to live of PR environments (`preview:keep` removes it). */
  ttl: number | string;
  /** Preview draft PRs too (otherwise they wait for `ready_for_review`). */
  drafts: boolean;
  /** Preview PRs from forks (their code runs on this machine, so off by default). */
  forks: boolean;
  /** Base of links in comments and statuses; default: previewd's own URL. */
  publicUrl?: string;
  /** How long a PR's job waits for its environment to be ready, in ms. */
  waitMs: number;
}

const repoName = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

const booleanText = z
  .enum(["true", "false", "1", "0", "yes", "no"], { message: "expected true or false" })
  .transform((value) => ["true", "1", "yes"].includes(value));

const schema = z.object({
  GITHUB_WEBHOOK_SECRET: z.string().min(1).optional(),
  GITHUB_TOKEN: z.string().min(1).optional(),
  GITHUB_API_URL: z.url({ protocol: /^https?$/ }).default("https://api.github.com"),
  PREVIEWD_GITHUB_REPOS: z.string().default(""),
  PREVIEWD_GITHUB_TTL: z
    .string()
    .default("7d")
    .transform((value) => (/^\d+$/.test(value) ? Number(value) : value))
    .pipe(z.union([ttlSchema.options[0], ttlSchema.options[1]])),
  PREVIEWD_GITHUB_DRAFTS: booleanText.default(false),
  PREVIEWD_GITHUB_FORKS: booleanText.default(false),
  PREVIEWD_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  PREVIEWD_GITHUB_WAIT: z.coerce.number().int().positive().default(1800),
});

export function loadGitHubConfig(env: NodeJS.ProcessEnv = process.env): GitHubConfig {
  const raw = Object.fromEntries(
    Object.keys(schema.shape).flatMap((key) => (env[key] ? [[key, env[key]]] : [])),
  );
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ValidationError("invalid GitHub configuration", {
      errors: parsed.error.issues.map((issue) => ({
        path: String(issue.path[0]),
        message: issue.message,
      })),
    });
  }
  const data = parsed.data;
  return {
    ...(data.GITHUB_WEBHOOK_SECRET && { webhookSecret: data.GITHUB_WEBHOOK_SECRET }),
    ...(data.GITHUB_TOKEN && { token: data.GITHUB_TOKEN }),
    apiUrl: data.GITHUB_API_URL.replace(/\/+$/, ""),
    repos: parseRepos(data.PREVIEWD_GITHUB_REPOS),
    ttl: data.PREVIEWD_GITHUB_TTL,
    drafts: data.PREVIEWD_GITHUB_DRAFTS,
    forks: data.PREVIEWD_GITHUB_FORKS,
    ...(data.PREVIEWD_PUBLIC_URL && { publicUrl: data.PREVIEWD_PUBLIC_URL.replace(/\/+$/, "") }),
    waitMs: data.PREVIEWD_GITHUB_WAIT * 1000,
  };
}

/** `owner/name=source,owner/other=source`; a source is split at the first `=` only. */
export function parseRepos(text: string): Map<string, string> {
  const repos = new Map<string, string>();
  for (const entry of text.split(",").map((part) => part.trim())) {
    if (!entry) continue;
    const equals = entry.indexOf("=");
    const name = equals === -1 ? entry : entry.slice(0, equals).trim();
    const source = equals === -1 ? "" : entry.slice(equals + 1).trim();
    if (!repoName.test(name) || !source) {
      const message = `expected owner/name=<clone URL or local path> (got ${JSON.stringify(entry)})`;
      throw new ValidationError(`invalid PREVIEWD_GITHUB_REPOS: ${message}`, {
        errors: [{ path: "PREVIEWD_GITHUB_REPOS", message }],
      });
    }
    repos.set(name.toLowerCase(), source);
  }
  return repos;
}
