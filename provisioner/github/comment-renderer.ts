/**
 * Renders the PR comment from an environment's state. Pure: everything it shows comes in as
 * input, so tests assert on its content without GitHub or previewd.
 */
import type { EnvironmentError, EnvironmentView, FlagValue } from "../environments/environment-schema.ts";

export type CommentPhase = "building" | "ready" | "failed" | "deleted" | "skipped";

export interface CommentInput {
  /** The hidden marker that identifies the comment; rendered first. */
  marker: string;
  phase: CommentPhase;
  /** The PR head commit this comment is about. */
  sha: string;
  environment?: EnvironmentView;
  /** Public link to the environment (its API document). */
  environmentUrl?: string;
  /**
   * Where each app's link goes, by app name, when not its plain URL: share links that open
   * protected previews (the plain URL stays the link's text).
   */
  appLinks?: Record<string, string>;
  /** When the share links in `appLinks` stop working (ISO time). */
  appLinksExpireAt?: string;
  /** Screenshot links of web apps, by app name; an app missing here shows no link. */
  screenshots?: Record<string, string>;
  /** Declared flag defaults; with them only flags that differ are listed, else all of them. */
  flagDefaults?: Record<string, FlagValue>;
  /** Why: for `skipped` and `deleted`, or a failure that happened before any environment existed. */
  reason?: string;
  /** A failure with no environment to carry it (bad manifest, missing ref). */
  error?: EnvironmentError;
}

const LOG_LINES = 30;
const LOG_LINE_CHARS = 300;

const headline: Record<CommentPhase, string> = {
  building: "⏳ Building the preview",
  ready: "✅ Preview ready",
  failed: "❌ Preview failed",
  deleted: "🗑️ Preview deleted",
  skipped: "⏭️ Preview skipped",
};

const healthIcon: Record<string, string> = {
  healthy: "🟢",
  starting: "🟡",
  building: "🟡",
  pending: "⚪",
  unhealthy: "🔴",
  failed: "🔴",
  stopped: "⚫",
};

export function renderComment(input: CommentInput): string {
  const env = input.environment;
  const lines = [input.marker, `### ${headline[input.phase]}`, ""];
  lines.push(summaryLine(input));
  if (input.reason) lines.push("", escapeText(input.reason));
  if (env && (input.phase === "ready" || input.phase === "failed" || input.phase === "building")) {
    lines.push("", ...appTable(env, input.screenshots ?? {}, input.appLinks ?? {}));
    if (input.appLinksExpireAt) lines.push("", shareNote(input.appLinksExpireAt));
    const flags = changedFlags(env.flags, input.flagDefaults);
    if (flags) lines.push("", flags);
    const timings = timingLine(env);
    if (timings) lines.push("", timings);
  }
  const error = input.phase === "failed" ? (env?.error ?? input.error) : undefined;
  if (error) lines.push("", ...failureBlock(error));
  lines.push("", footer(input));
  return lines.join("\n");
}

function summaryLine(input: CommentInput): string {
  const env = input.environment;
  const parts = [`Commit \`${input.sha.slice(0, 7)}\``];
  if (env && env.commit && env.commit !== input.sha) parts.push(`running \`${env.commit.slice(0, 7)}\``);
  if (env) parts.push(`scenario ${env.scenario ? `\`${env.scenario}\`` : "none"}`);
  if (env) parts.push(`status \`${env.status}\``);
  return parts.join(" · ");
}

function appTable(
  env: EnvironmentView,
  screenshots: Record<string, string>,
  appLinks: Record<string, string>,
): string[] {
  const rows = Object.entries(env.apps).map(([name, app]) => {
    const shot = screenshots[name];
    return `| **${cell(name)}** | ${link(app.url, appLinks[name] ?? app.url)} | ${healthIcon[app.status] ?? ""} ${app.status} | ${shot ? link("screenshot", shot) : "—"} |`;
  });
  if (rows.length === 0) return ["_No apps._"];
  return ["| App | Preview | Health | Screenshot |", "| --- | --- | --- | --- |", ...rows];
}

function shareNote(expiresAt: string): string {
  return `<sub>The preview links are share links: they open the protected previews without a token until ${escapeText(expiresAt)}.</sub>`;
}

function changedFlags(
  flags: Record<string, FlagValue>,
  defaults: Record<string, FlagValue> | undefined,
): string | undefined {
  const entries = Object.entries(flags).filter(([key, value]) => !defaults || defaults[key] !== value);
  if (entries.length === 0) return undefined;
  const title = defaults ? "Flags changed from their defaults" : "Flags";
  return `**${title}:** ${entries.map(([key, value]) => `\`${key}\` = \`${cellCode(JSON.stringify(value))}\``).join(", ")}`;
}

function timingLine(env: EnvironmentView): string | undefined {
  const phases = Object.entries(env.timings).filter(([phase]) => phase !== "total");
  if (phases.length === 0 && env.timings.total === undefined) return undefined;
  const parts = phases.map(([phase, ms]) => `${phase} ${duration(ms)}`);
  if (env.timings.total !== undefined) parts.push(`**total ${duration(env.timings.total)}**`);
  return `**Timings:** ${parts.join(" · ")}`;
}

function failureBlock(error: EnvironmentError): string[] {
  const where = `${error.step}${error.app ? ` (app \`${error.app}\`)` : ""}`;
  const tail = error.logTail
    .slice(-LOG_LINES)
    .map((line) => (line.length > LOG_LINE_CHARS ? `${line.slice(0, LOG_LINE_CHARS)}…` : line));
  const body = [error.message, ...(tail.length ? ["", ...tail] : [])].join("\n");
  const fence = "`".repeat(Math.max(3, longestBacktickRun(body) + 1));
  return [
    "<details>",
    `<summary>Failed at <b>${escapeHtml(where).replace(/`([^`]*)`/g, "<code>$1</code>")}</b>: ${escapeHtml(firstLine(error.message))}</summary>`,
    "",
    fence,
    body,
    fence,
    "",
    "</details>",
  ];
}

function footer(input: CommentInput): string {
  const env = input.environment;
  const parts = ["previewd"];
  if (env)
    parts.push(
      input.environmentUrl
        ? `environment ${link(env.id, input.environmentUrl)}`
        : `environment \`${env.id}\``,
    );
  if (env?.expiresAt && input.phase !== "deleted") parts.push(`expires ${env.expiresAt}`);
  else if (env && input.phase === "ready") parts.push("kept until the PR closes");
  return `<sub>${parts.join(" · ")}</sub>`;
}

function duration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

function link(text: string, url: string): string {
  return `[${cell(text)}](${url.replace(/[()\s]/g, encodeURIComponent)})`;
}

/** Table cells break on `|` and newlines. */
function cell(text: string): string {
  return escapeText(text)
    .replace(/\|/g, "\\|")
    .replace(/\s*\n\s*/g, " ");
}

function cellCode(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/`/g, "'");
}

/** Keeps text from opening HTML tags or comments (which could hide the rest of the comment). */
function escapeText(text: string): string {
  return text.replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function firstLine(text: string): string {
  const line = text.split("\n")[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
}
