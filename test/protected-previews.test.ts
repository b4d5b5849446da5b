/**
 * With a token set, previews are protected: a request without the token or a share link is
 * refused before it reaches the app; a share link (from the API or the PR comment) sets a
 * session cookie; the app never sees previewd's token or cookie; the unknown-host page lists
 * environments only to the token holder; and the environment's own browser still opens its
 * previews (Playwright through the bridge, the screenshot API). PREVIEWD_PUBLIC_PREVIEWS opens them.
 */
import { createHmac, randomUUID } from "node:crypto";
import http from "node:http";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { loadGitHubConfig } from "../provisioner/github/github-config.ts";
import { PreviewSigner } from "../provisioner/proxy/preview-signature.ts";
import { requireChromium, skipWithoutChromium } from "./helpers/chromium.ts";
import { createFixtureRepo, type FixtureRepo } from "./helpers/fixture-monorepo.ts";
import { startGitHubDouble, type GitHubDouble } from "./helpers/github-double.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";

const token = "protected-previews-token";
const bearer = { authorization: `Bearer ${token}` };
const SECRET = "webhook-secret";
const GITHUB_TOKEN = "github-token";

/** An app that remembers every request that reaches it (except its health checks and `/seen`). */
const echoApp = `import http from "node:http";
const seen = [];
http.createServer((req, res) => {
  if (req.url === "/healthz") { res.writeHead(200); return res.end("ok"); }
  if (req.url === "/seen") { res.writeHead(200, { "content-type": "application/json" }); return res.end(JSON.stringify(seen)); }
  seen.push({ url: req.url, headers: req.headers });
  res.writeHead(200, { "content-type": "text/html" });
  res.end("<h1 id=hello>hello from " + process.env.PREVIEW_ENV_ID + "</h1>");
}).listen(Number(process.env.PORT), process.env.HOST ?? "127.0.0.1");
`;
const manifest = `version: 1
name: guarded
apps:
  site: { path: apps/site, start: node server.js, health: /healthz }
`;

interface Seen {
  url: string;
  headers: Record<string, string>;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let repo: FixtureRepo;
let github: GitHubDouble;
let harness: Harness;
let env: EnvironmentView;
let host: string;

/** A request through previewd's proxy by Host header (Node cannot resolve *.localhost). */
function viaProxy(
  route: string,
  headers: Record<string, string> = {},
  hostHeader = host,
  origin = harness.url,
): Promise<Reply> {
  const { port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, path: route, headers: { host: hostHeader, ...headers } },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject).end();
  });
}

/** What reached the app, asked of the app directly (not through the proxy). */
async function seenByApp(view = env): Promise<Seen[]> {
  return (await fetch(`${view.apps.site!.directUrl}/seen`)).json() as Promise<Seen[]>;
}

function pathOf(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}

beforeAll(async () => {
  repo = createFixtureRepo({ files: { "preview.yaml": manifest, "apps/site/server.js": echoApp } });
  github = await startGitHubDouble({ token: GITHUB_TOKEN });
  harness = await startHarness({
    token,
    github: loadGitHubConfig({
      GITHUB_WEBHOOK_SECRET: SECRET,
      GITHUB_TOKEN,
      GITHUB_API_URL: github.url,
      PREVIEWD_GITHUB_REPOS: `acme/site=${repo.dir}`,
      PREVIEWD_GITHUB_WAIT: "120",
    }),
  });
  const created = await harness.request<EnvironmentView>(
    "POST",
    "/v1/environments?wait=true&timeout=120",
    { repo: repo.dir },
    bearer,
  );
  env = created.body;
  expect(env.status, JSON.stringify(env.error)).toBe("ready");
  host = new URL(env.apps.site!.url).host;
});
afterAll(async () => {
  await harness?.close();
  await github?.close();
});

describe("a preview with a token set", () => {
  it("refuses a request without the token, and the app never hears of it", async () => {
    const page = await viaProxy("/admin/customers");
    expect(page.status).toBe(401);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.body).toContain("share link");
    const json = await viaProxy("/admin/customers", { accept: "application/json" });
    expect(json.status).toBe(401);
    expect(json.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(json.body)).toMatchObject({ type: "unauthorized", status: 401 });
    expect((await viaProxy("/", { authorization: "Bearer not-the-token" })).status).toBe(401);
    expect(await seenByApp()).toEqual([]);
  });

  it("passes the token holder, keeping the token and previewd's cookie from the app", async () => {
    const reply = await viaProxy("/with-token", { ...bearer, cookie: "theme=dark; previewd_session=x" });
    expect(reply.status).toBe(200);
    expect(reply.body).toContain(`hello from ${env.id}`);
    const [request] = (await seenByApp()).filter((seen) => seen.url === "/with-token");
    expect(request!.headers.authorization).toBeUndefined();
    expect(request!.headers.cookie).toBe("theme=dark");
  });

  it("turns a share link into a session cookie on that preview host", async () => {
    const share = await harness.request<{ url: string; expiresAt: string; apps: Record<string, string> }>(
      "POST",
      `/v1/environments/${env.id}/share`,
      { ttl: "1h" },
      bearer,
    );
    expect(share.status).toBe(200);
    expect(share.body.apps.site).toBe(share.body.url);
    expect(new URL(share.body.url).host).toBe(host);
    expect(share.body.url).not.toContain(token);
    expect(Date.parse(share.body.expiresAt) - Date.now()).toBeGreaterThan(59 * 60_000);

    const opened = await viaProxy(`${pathOf(share.body.url)}&x=1`.replace("/?", "/cart?"));
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe("/cart?x=1");
    const [setCookie] = opened.headers["set-cookie"] ?? [];
    expect(setCookie).toMatch(/^previewd_session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/);
    const cookie = setCookie!.split(";")[0]!;
    expect(cookie).not.toContain(token);

    const followed = await viaProxy("/cart?x=1", { cookie });
    expect(followed.status).toBe(200);
    const requests = await seenByApp();
    expect(requests.filter((seen) => seen.url.includes("previewd_share"))).toEqual([]);
    expect(requests.find((seen) => seen.url === "/cart?x=1")!.headers.cookie).toBeUndefined();
  });

  it("refuses expired and tampered share links and sessions", async () => {
    const signer = new PreviewSigner(token);
    const past = new Date(Date.now() - 60_000);
    const expired = await viaProxy(`/?previewd_share=${signer.sign("share", env.id, past)}`);
    expect(expired.status).toBe(401);
    expect(expired.body).toContain("expired");
    const valid = signer.sign("share", env.id, new Date(Date.now() + 3_600_000));
    const [seconds, mac] = valid.split(".");
    for (const forged of [`${Number(seconds) + 86_400}.${mac}`, `${seconds}.${"A".repeat(43)}`]) {
      expect((await viaProxy(`/?previewd_share=${forged}`)).status).toBe(401);
    }
    const otherToken = new PreviewSigner("another-token").sign(
      "share",
      env.id,
      new Date(Date.now() + 60_000),
    );
    expect((await viaProxy(`/?previewd_share=${otherToken}`)).status).toBe(401);
    const staleSession = `previewd_session=${signer.sign("session", env.id, past)}`;
    expect((await viaProxy("/", { cookie: staleSession })).status).toBe(401);
    expect(
      (await seenByApp()).filter((seen) => seen.url !== "/with-token" && seen.url !== "/cart?x=1"),
    ).toEqual([]);
  });

  it("lists environments on the unknown-host page only to the token holder", async () => {
    const { port } = new URL(harness.url);
    const anonymous = await viaProxy("/", {}, `nothing--here.localhost:${port}`);
    expect(anonymous.status).toBe(404);
    expect(anonymous.body).not.toContain(env.id);
    const holder = await viaProxy("/", bearer, `nothing--here.localhost:${port}`);
    expect(holder.status).toBe(404);
    expect(holder.body).toContain(env.id);
  });

  it("answers 400 to a Host longer than a DNS name, whatever it names", async () => {
    const { port } = new URL(harness.url);
    const long = `${"a--".repeat(5000)}${env.id}.localhost:${port}`;
    expect((await viaProxy("/", bearer, long)).status).toBe(400);
    expect((await viaProxy("/v1/environments", bearer, `${"a".repeat(300)}.example:${port}`)).status).toBe(
      400,
    );
  });

  it("links the PR comment's previews through share links that work", async () => {
    const sha = repo.git("rev-parse", "HEAD");
    const body = JSON.stringify({
      action: "opened",
      number: 3,
      pull_request: {
        number: 3,
        state: "open",
        draft: false,
        html_url: "https://github.test/acme/site/pull/3",
        head: { sha, ref: "main", repo: { full_name: "acme/site" } },
        base: { ref: "main", repo: { full_name: "acme/site" } },
        labels: [],
      },
      repository: { full_name: "acme/site", name: "site", owner: { login: "acme" } },
    });
    const delivered = await fetch(`${harness.url}/v1/github/webhook`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "pull_request",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
      },
      body,
    });
    expect(delivered.status).toBe(202);
    await harness.previewd.github.idle();
    const [comment] = github.comments("acme", "site", 3);
    const link = /\]\((http:\/\/site--[^)\s]+previewd_share=[^)\s]+)\)/.exec(comment!.body)?.[1];
    expect(link, comment!.body).toBeDefined();
    expect(comment!.body).not.toContain(token);
    const linkHost = new URL(link!).host;
    const opened = await viaProxy(pathOf(link!), {}, linkHost);
    expect(opened.status).toBe(303);
    const cookie = opened.headers["set-cookie"]![0]!.split(";")[0]!;
    const page = await viaProxy("/", { cookie }, linkHost);
    expect(page.status).toBe(200);
    expect(page.body).toContain("hello from");
  });
});

describe.skipIf(skipWithoutChromium)("the environment's own browser with a token set", () => {
  beforeAll(() => requireChromium());

  it("opens the protected preview through the CDP bridge, in the default and in a new context", async () => {
    const browser = await chromium.connectOverCDP(`${env.devtools!.http}?token=${token}`);
    try {
      const page = await browser.contexts()[0]!.newPage();
      await page.goto(env.apps.site!.url);
      expect(await page.textContent("#hello")).toBe(`hello from ${env.id}`);
      await page.close();
      const context = await browser.newContext();
      const fresh = await context.newPage();
      await fresh.goto(`${env.apps.site!.url}/fresh-context`);
      expect(await fresh.textContent("#hello")).toBe(`hello from ${env.id}`);
      await context.close();
    } finally {
      await browser.close();
    }
    const fromBrowser = (await seenByApp()).find((seen) => seen.url === "/fresh-context");
    expect(fromBrowser!.headers.cookie).toBeUndefined();
  });

  it("takes a screenshot of the protected preview", async () => {
    const shot = await harness.request<{ id: string; consoleErrors: string[] }>(
      "POST",
      `/v1/environments/${env.id}/screenshots`,
      { app: "site", path: "/for-a-screenshot" },
      bearer,
    );
    expect(shot.status).toBe(201);
    expect(shot.body.consoleErrors).toEqual([]);
    const seen = (await seenByApp()).find((request) => request.url === "/for-a-screenshot");
    expect(seen?.headers["user-agent"]).toMatch(/Chrome/);
  });
});

describe("PREVIEWD_PUBLIC_PREVIEWS=true", () => {
  it("opens previews to anyone, token or not, while the API still asks for it", async () => {
    const open = await startHarness({ token, publicPreviews: true });
    try {
      const created = await open.request<EnvironmentView>(
        "POST",
        "/v1/environments?wait=true&timeout=120",
        { repo: repo.dir },
        bearer,
      );
      expect(created.body.status).toBe("ready");
      const page = await viaProxy("/", {}, new URL(created.body.apps.site!.url).host, open.url);
      expect(page.status).toBe(200);
      expect(page.body).toContain(`hello from ${created.body.id}`);
      expect((await open.request("GET", "/v1/environments")).status).toBe(401);
    } finally {
      await open.close();
    }
  });
});
