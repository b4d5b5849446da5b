import { describe, expect, it } from "vitest";
import type { EnvironmentView } from "../environments/environment-schema.ts";
import { renderComment } from "./comment-renderer.ts";

const sha = "0123456789abcdef0123456789abcdef01234567";
const marker = "<!-- previewd:acme/shop#7 -->";

function environment(overrides: Partial<EnvironmentView> = {}): EnvironmentView {
  return {
    id: "shop-feature-x-3f2a",
    name: "shop",
    repo: "/src/shop",
    ref: "feature/x",
    dir: null,
    commit: sha,
    runtime: "process",
    status: "ready",
    scenario: "demo",
    seed: null,
    apps: {
      web: {
        url: "http://web--shop-feature-x-3f2a.preview.test",
        directUrl: "http://127.0.0.1:1",
        status: "healthy",
      },
      api: {
        url: "http://api--shop-feature-x-3f2a.preview.test",
        directUrl: "http://127.0.0.1:2",
        status: "unhealthy",
      },
    },
    services: { db: { type: "postgres", status: "running" } },
    flags: { "new-checkout": true, "banner-text": "Welcome" },
    flagsUrl: "http://127.0.0.1:7070/v1/environments/shop-feature-x-3f2a",
    devtools: null,
    timings: { worktree: 40, build: 900, start: 700, total: 2300 },
    createdAt: "2025-01-01T00:00:00.000Z",
    updatedAt: "2025-01-01T00:00:00.000Z",
    expiresAt: "2025-01-08T00:00:00.000Z",
    error: null,
    ...overrides,
  };
}

describe("renderComment", () => {
  it("starts with the marker and shows status, short commit, scenario, apps with URLs and health, and timings", () => {
    const body = renderComment({ marker, phase: "ready", sha, environment: environment() });
    expect(body.startsWith(`${marker}\n`)).toBe(true);
    expect(body).toContain("Preview ready");
    expect(body).toContain("`0123456`");
    expect(body).not.toContain(sha);
    expect(body).toContain("scenario `demo`");
    expect(body).toMatch(
      /\| \*\*web\*\* \| \[http:\/\/web--shop-feature-x-3f2a\.preview\.test\]\(http:\/\/web--shop-feature-x-3f2a\.preview\.test\) \| 🟢 healthy \|/,
    );
    expect(body).toMatch(/\| \*\*api\*\* .*🔴 unhealthy/);
    expect(body).toContain("worktree 40 ms · build 900 ms · start 700 ms · **total 2.3 s**");
    expect(body).toContain("expires 2025-01-08T00:00:00.000Z");
  });

  it("links apps through share links when previews are protected, showing the plain URL", () => {
    const share = "http://web--shop-feature-x-3f2a.preview.test/?previewd_share=1736294400.abc_-";
    const body = renderComment({
      marker,
      phase: "ready",
      sha,
      environment: environment(),
      appLinks: { web: share },
      appLinksExpireAt: "2025-01-08T00:00:00.000Z",
    });
    expect(body).toContain(`| **web** | [http://web--shop-feature-x-3f2a.preview.test](${share}) |`);
    expect(body).toContain("open the protected previews without a token until 2025-01-08T00:00:00.000Z");
  });

  it("links screenshots of the apps that have one", () => {
    const body = renderComment({
      marker,
      phase: "ready",
      sha,
      environment: environment(),
      screenshots: { web: "https://previewd.test/v1/environments/x/screenshots/s1.png" },
    });
    expect(body).toMatch(
      /\| \*\*web\*\* .*\[screenshot\]\(https:\/\/previewd\.test\/v1\/environments\/x\/screenshots\/s1\.png\) \|/,
    );
    expect(body).toMatch(/\| \*\*api\*\* .*\| — \|/);
  });

  it("lists only flags that differ from their defaults when the defaults are known", () => {
    const env = environment();
    const changed = renderComment({
      marker,
      phase: "ready",
      sha,
      environment: env,
      flagDefaults: { "new-checkout": false, "banner-text": "Welcome" },
    });
    expect(changed).toContain("Flags changed from their defaults:** `new-checkout` = `true`");
    expect(changed).not.toContain("banner-text");
    const unknown = renderComment({ marker, phase: "ready", sha, environment: env });
    expect(unknown).toContain('`banner-text` = `"Welcome"`');
    const same = renderComment({ marker, phase: "ready", sha, environment: env, flagDefaults: env.flags });
    expect(same).not.toContain("Flags");
  });

  it("shows a failure's step, app and last log lines in a collapsed block, fenced safely", () => {
    const body = renderComment({
      marker,
      phase: "failed",
      sha,
      environment: environment({
        status: "failed",
        error: {
          step: "start",
          app: "api",
          message: "api exited with code 1 <boom>",
          logTail: ["line 1", "```", "Error: listen EADDRINUSE"],
        },
      }),
    });
    expect(body).toContain("Preview failed");
    expect(body).toContain("<details>");
    expect(body).toContain(
      "<summary>Failed at <b>start (app <code>api</code>)</b>: api exited with code 1 &lt;boom&gt;</summary>",
    );
    expect(body).toContain(
      "````\napi exited with code 1 <boom>\n\nline 1\n```\nError: listen EADDRINUSE\n````",
    );
    expect(body).toContain("</details>");
  });

  it("keeps only the last 30 log lines", () => {
    const logTail = Array.from({ length: 50 }, (_, i) => `log ${i}`);
    const body = renderComment({
      marker,
      phase: "failed",
      sha,
      environment: environment({
        status: "failed",
        error: { step: "build", app: "web", message: "build failed", logTail },
      }),
    });
    expect(body).not.toContain("log 19\n");
    expect(body).toContain("log 20\n");
    expect(body).toContain("log 49");
  });

  it("reports a failure that happened before any environment existed", () => {
    const body = renderComment({
      marker,
      phase: "failed",
      sha,
      error: {
        step: "manifest",
        message: 'preview.yaml: apps.api.health: expected a path starting with "/"',
        logTail: [],
      },
    });
    expect(body).toContain("Failed at <b>manifest</b>");
    expect(body).not.toContain("| App |");
  });

  it("says why a preview was deleted or skipped, without an app table", () => {
    const deleted = renderComment({
      marker,
      phase: "deleted",
      sha,
      environment: environment(),
      reason: "The pull request was closed.",
    });
    expect(deleted).toContain("Preview deleted");
    expect(deleted).toContain("The pull request was closed.");
    expect(deleted).not.toContain("| App |");
    const skipped = renderComment({
      marker,
      phase: "skipped",
      sha,
      reason: "Skipped: labelled `preview:skip`.",
    });
    expect(skipped).toContain("Preview skipped");
  });

  it("mentions the commit actually running when it differs from the PR head", () => {
    const body = renderComment({
      marker,
      phase: "building",
      sha,
      environment: environment({ commit: "f".repeat(40), status: "updating" }),
    });
    expect(body).toContain("Building the preview");
    expect(body).toContain("running `fffffff`");
  });

  it("escapes HTML in reasons so they cannot hide the rest of the comment", () => {
    const body = renderComment({ marker, phase: "skipped", sha, reason: "<!-- hidden" });
    expect(body).toContain("&lt;!-- hidden");
  });
});
