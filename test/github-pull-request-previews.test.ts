/**
 * A pull request's life through the webhook: signed deliveries, one environment per PR that
 * follows its head branch, and one PR comment (with commit statuses) kept current on a local
 * GitHub double that previewd's real Octokit client talks to.
 */
import { createHmac, randomUUID } from "node:crypto";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { loadGitHubConfig } from "../provisioner/github/github-config.ts";
import { createFixtureRepo, type FixtureRepo } from "./helpers/fixture-monorepo.ts";
import { startGitHubDouble, type GitHubDouble } from "./helpers/github-double.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";

const execFileAsync = promisify(execFile);
const SECRET = "webhook-secret";
const hasChromium = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].some(
  (file) => file && existsSync(file),
);
const TOKEN = "github-token";
const OWNER = "acme";
const REPO = "shop";
const PR = 7;

let repo: FixtureRepo;
let github: GitHubDouble;
let harness: Harness;

beforeAll(async () => {
  repo = createFixtureRepo({ version: "v1" });
  repo.checkout("feature/x", true);
  repo.commit({ "apps/web/version.txt": "pr-1" }, "pr change");
  repo.checkout("main");
  github = await startGitHubDouble({ token: TOKEN });
  harness = await startHarness({
    github: loadGitHubConfig({
      GITHUB_WEBHOOK_SECRET: SECRET,
      GITHUB_TOKEN: TOKEN,
      GITHUB_API_URL: github.url,
      PREVIEWD_GITHUB_REPOS: `${OWNER}/${REPO}=${repo.dir}`,
      PREVIEWD_GITHUB_WAIT: "120",
    }),
  });
});
afterAll(async () => {
  await harness?.close();
  await github?.close();
});

function sign(body: string, secret = SECRET): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

function pullRequestPayload(
  action: string,
  sha: string,
  options: { repo?: string; draft?: boolean; labels?: string[]; label?: string } = {},
) {
  const fullName = options.repo ?? `${OWNER}/${REPO}`;
  return {
    action,
    number: PR,
    pull_request: {
      number: PR,
      state: action === "closed" ? "closed" : "open",
      draft: options.draft ?? false,
      html_url: `https://github.test/${fullName}/pull/${PR}`,
      head: { sha, ref: "feature/x", repo: { full_name: fullName } },
      base: { ref: "main", repo: { full_name: fullName } },
      labels: (options.labels ?? []).map((name) => ({ name })),
    },
    ...(options.label && { label: { name: options.label } }),
    repository: {
      full_name: fullName,
      name: fullName.split("/")[1],
      owner: { login: fullName.split("/")[0] },
    },
  };
}

async function deliver(
  event: string,
  payload: unknown,
  headers: Record<string, string | undefined> = {},
): Promise<{ status: number; body: Record<string, unknown>; contentType: string | null }> {
  const body = JSON.stringify(payload);
  const all: Record<string, string | undefined> = {
    "content-type": "application/json",
    "x-github-event": event,
    "x-github-delivery": randomUUID(),
    "x-hub-signature-256": sign(body),
    ...headers,
  };
  const response = await fetch(`${harness.url}/v1/github/webhook`, {
    method: "POST",
    headers: Object.fromEntries(
      Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
    body,
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    contentType: response.headers.get("content-type"),
  };
}

const comments = () => github.comments(OWNER, REPO, PR);
const commentPosts = () =>
  github.requests.filter(
    (r) => r.method === "POST" && r.path.endsWith(`/issues/${PR}/comments`) && r.status === 201,
  );
const states = (sha: string) => github.statuses(OWNER, REPO, sha).map((s) => s.state);
const environments = async () => (await harness.request<EnvironmentView[]>("GET", "/v1/environments")).body;

describe("webhook signatures", () => {
  const ping = {
    zen: "Keep it logically awesome.",
    hook_id: 1,
    repository: { full_name: `${OWNER}/${REPO}` },
  };

  it("answers a correctly signed ping", async () => {
    const reply = await deliver("ping", ping);
    expect(reply.status).toBe(200);
    expect(reply.body.status).toBe("pong");
  });

  it.each([
    ["a wrong signature", { "x-hub-signature-256": sign(JSON.stringify(ping), "not-the-secret") }],
    ["no signature", { "x-hub-signature-256": undefined }],
    [
      "only the SHA-1 signature",
      {
        "x-hub-signature-256": undefined,
        "x-hub-signature": "sha1=0123456789abcdef0123456789abcdef01234567",
      },
    ],
    ["a signature of the wrong length", { "x-hub-signature-256": "sha256=abc123" }],
  ])("refuses %s with 401 problem+json", async (_name, headers) => {
    const reply = await deliver("ping", ping, headers);
    expect(reply.status).toBe(401);
    expect(reply.contentType).toContain("application/problem+json");
    expect(reply.body).toMatchObject({ status: 401, type: "unauthorized" });
  });

  it("names the SHA-1 header when only that one came", async () => {
    const reply = await deliver("ping", ping, {
      "x-hub-signature-256": undefined,
      "x-hub-signature": "sha1=00",
    });
    expect(String(reply.body.detail)).toContain("SHA-1");
  });
});

describe("repositories previewd does not serve", () => {
  it("acknowledges and ignores them", async () => {
    const reply = await deliver(
      "pull_request",
      pullRequestPayload("opened", "a".repeat(40), { repo: "someone/else" }),
    );
    expect(reply.status).toBe(202);
    expect(reply.body.status).toBe("ignored");
    await harness.previewd.github.idle();
    expect(await environments()).toEqual([]);
    expect(github.requests).toEqual([]);
  });

  it("skips draft pull requests by default", async () => {
    const reply = await deliver(
      "pull_request",
      pullRequestPayload("opened", "b".repeat(40), { draft: true }),
    );
    expect(reply.status).toBe(202);
    await harness.previewd.github.idle();
    expect(await environments()).toEqual([]);
    expect(comments()).toEqual([]);
  });
});

describe("a pull request's preview", () => {
  let envId = "";
  const sha1 = () => repo.git("rev-parse", "feature/x");

  it("opened: one environment, a commit status pending → success, one comment; a repeated delivery is ignored", async () => {
    const sha = sha1();
    const delivery = randomUUID();
    const payload = pullRequestPayload("opened", sha);
    const [first, second] = await Promise.all([
      deliver("pull_request", payload, { "x-github-delivery": delivery }),
      deliver("pull_request", payload, { "x-github-delivery": delivery }),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 202]);
    expect([first.body.status, second.body.status].sort()).toEqual(["duplicate", "queued"]);
    await harness.previewd.github.idle();

    const [env, ...others] = await environments();
    expect(others).toEqual([]);
    expect(env).toMatchObject({ ref: "feature/x", commit: sha, status: "ready" });
    expect(env!.expiresAt).not.toBeNull();
    envId = env!.id;
    expect(states(sha)).toEqual(["pending", "success"]);
    const success = github.statuses(OWNER, REPO, sha).at(-1)!;
    expect(success.context).toBe("previewd");
    expect(success.target_url).toMatch(/^http:\/\//);

    expect(commentPosts()).toHaveLength(1);
    const [comment, ...more] = comments();
    expect(more).toEqual([]);
    expect(comment!.body).toContain(`<!-- previewd:${OWNER}/${REPO}#${PR} -->`);
    expect(comment!.body).toContain("Preview ready");
    expect(comment!.body).toContain(sha.slice(0, 7));
    expect(comment!.body).toContain(env!.apps.web!.url);
    // The web app serves HTML and gets a screenshot from the DevTools bridge; the JSON api does not.
    const shot = /\| \*\*web\*\* .*\[screenshot\]\((http[^)]+\.png)\)/.exec(comment!.body)?.[1];
    expect(comment!.body).toMatch(/\| \*\*api\*\* .*\| — \|$/m);
    if (hasChromium) {
      expect(shot).toBeDefined();
      const png = await fetch(shot!);
      expect(png.headers.get("content-type")).toBe("image/png");
    } else {
      expect(process.env.PREVIEWD_REQUIRE_ALL, "Chromium is required for screenshots").not.toBe("1");
    }
    expect(comment!.body).toContain(env!.apps.api!.url);
    expect(comment!.body).toMatch(/\*\*Timings:\*\*.*total/);
  });

  it("synchronize: the same environment moves to the new commit, and the comment is edited in place", async () => {
    const sha = repo.git("rev-parse", "feature/x");
    repo.checkout("feature/x");
    const sha2 = repo.commit({ "apps/web/version.txt": "pr-2" }, "second pr change");
    repo.checkout("main");
    expect(sha2).not.toBe(sha);

    expect((await deliver("pull_request", pullRequestPayload("synchronize", sha2))).status).toBe(202);
    await harness.previewd.github.idle();

    const [env, ...others] = await environments();
    expect(others).toEqual([]);
    expect(env).toMatchObject({ id: envId, commit: sha2, status: "ready" });
    expect(await (await fetch(env!.apps.web!.directUrl!)).text()).toContain("pr-2");
    expect(states(sha2)).toEqual(["pending", "success"]);
    expect(commentPosts()).toHaveLength(1);
    expect(comments()).toHaveLength(1);
    expect(comments()[0]!.body).toContain(sha2.slice(0, 7));
    expect(comments()[0]!.body).not.toContain(sha.slice(0, 7));
  });

  it("honours Retry-After on a 429 and on a secondary rate limit", async () => {
    for (const failure of [
      { status: 429 as const, retryAfter: 1 },
      { status: 403 as const, retryAfter: 1, secondary: true },
    ]) {
      const before = github.requests.length;
      github.failNext({ ...failure, method: "GET" });
      const reply = await harness.request("POST", `/v1/environments/${envId}/github/comment`, {
        repo: `${OWNER}/${REPO}`,
        pr: PR,
      });
      expect(reply.status).toBe(200);
      const [limited, retried] = github.requests.slice(before).filter((r) => r.method === "GET");
      expect(limited!.status).toBe(failure.status);
      expect(retried!.status).toBe(200);
      expect(retried!.path).toBe(limited!.path);
      expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(950);
    }
    expect(comments()).toHaveLength(1);
  });

  it("`previewd comment` drives the same comment from CI, taking repo and PR from GitHub Actions' variables", async () => {
    const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), "../provisioner/cli/previewd.js");
    const { stdout } = await execFileAsync(
      process.execPath,
      [cli, "comment", envId, "--server", harness.url],
      {
        env: {
          ...process.env,
          PREVIEWD_TOKEN: "",
          GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
          GITHUB_REF: `refs/pull/${PR}/merge`,
        },
      },
    );
    expect(stdout).toContain(`updated the comment on ${OWNER}/${REPO}#${PR}`);
    expect(stdout).toContain("commit status: success");
    expect(comments()).toHaveLength(1);
  });

  it("concurrent events and comment requests for one PR leave one comment", async () => {
    const sha = repo.git("rev-parse", "feature/x");
    await Promise.all([
      deliver("pull_request", pullRequestPayload("synchronize", sha)),
      deliver(
        "pull_request",
        pullRequestPayload("labeled", sha, { labels: ["preview:keep"], label: "preview:keep" }),
      ),
      harness.request("POST", `/v1/environments/${envId}/github/comment`, {
        repo: `${OWNER}/${REPO}`,
        pr: PR,
      }),
      harness.request("POST", `/v1/environments/${envId}/github/comment`, {
        repo: `${OWNER}/${REPO}`,
        pr: PR,
      }),
    ]);
    await harness.previewd.github.idle();
    expect(comments()).toHaveLength(1);
    expect(commentPosts()).toHaveLength(1);
    // preview:keep lifts the time to live.
    expect(
      (await harness.request<EnvironmentView>("GET", `/v1/environments/${envId}`)).body.expiresAt,
    ).toBeNull();
  });

  it("recreates the comment on the next event when it was deleted by hand", async () => {
    github.deleteComment(comments()[0]!.id);
    const sha = repo.git("rev-parse", "feature/x");
    await deliver("pull_request", pullRequestPayload("synchronize", sha, { labels: ["preview:keep"] }));
    await harness.previewd.github.idle();
    expect(comments()).toHaveLength(1);
    expect(comments()[0]!.body).toContain("Preview ready");
    expect(commentPosts()).toHaveLength(2);
  });

  it("closed: the environment is deleted and the comment says so", async () => {
    const sha = repo.git("rev-parse", "feature/x");
    expect((await deliver("pull_request", pullRequestPayload("closed", sha))).status).toBe(202);
    await harness.previewd.github.idle();
    expect(await environments()).toEqual([]);
    expect((await harness.request("GET", `/v1/environments/${envId}`)).status).toBe(404);
    expect(comments()).toHaveLength(1);
    expect(comments()[0]!.body).toContain("Preview deleted");
  });

  it("a late synchronize after closed does not bring the preview back", async () => {
    repo.checkout("feature/x");
    const sha3 = repo.commit({ "apps/web/version.txt": "pr-3" }, "late push");
    repo.checkout("main");
    const posts = github.requests.length;
    expect((await deliver("pull_request", pullRequestPayload("synchronize", sha3))).status).toBe(202);
    await harness.previewd.github.idle();
    expect(await environments()).toEqual([]);
    expect(states(sha3)).toEqual([]);
    expect(github.requests.length).toBe(posts);
  });
});
