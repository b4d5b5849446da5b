import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../api/test-server.test-helper.ts";

const token = "dashboard-s3cret";
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ token });
  api.orchestrator.add("env-1");
});
afterAll(() => api.close());

/** The dashboard as a browser reaches it: by name, where the session cookie stays away from directUrls. */
const byName = (path: string, init?: RequestInit) =>
  fetch(`${api.url.replace("127.0.0.1", "localhost")}${path}`, init);

/** The sign-in form, as the browser posts it. */
function signIn(sent: string): Promise<Response> {
  return byName("/dashboard/session", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: sent }).toString(),
    redirect: "manual",
  });
}

async function sessionCookie(): Promise<string> {
  const response = await signIn(token);
  return response.headers.get("set-cookie")!.split(";")[0]!;
}

describe("the dashboard with a token set", () => {
  it("moves from a loopback address to localhost before it sets a cookie an app's directUrl would get", async () => {
    const page = await api.request("/", { redirect: "manual" });
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe(`${api.url.replace("127.0.0.1", "localhost")}/`);
    const posted = await api.request("/dashboard/session", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token }).toString(),
      redirect: "manual",
    });
    expect(posted.status).toBe(303);
    expect(posted.headers.get("set-cookie")).toBeNull();
  });

  it("asks for the token at / (no token in the page) and serves its assets without it", async () => {
    const page = await byName("/");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('action="/dashboard/session"');
    expect(html).toContain('type="password"');
    expect(html).not.toContain(token);
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const script = await api.request("/dashboard/assets/app.js");
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    expect((await api.request("/dashboard/assets/nope.js")).status).toBe(404);
  });

  it("refuses a wrong token with 401 and the form again, and sets no cookie", async () => {
    const response = await signIn("wrong");
    expect(response.status).toBe(401);
    expect(response.headers.get("set-cookie")).toBeNull();
    const html = await response.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain('action="/dashboard/session"');
  });

  it("the right token sets an HttpOnly, SameSite=Strict session cookie (not the token) and goes to /", async () => {
    const response = await signIn(token);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/");
    const cookie = response.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^previewd_dashboard=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/");
    expect(cookie).not.toContain("Secure");
    expect(cookie).not.toContain(token);
  });

  it("is Secure when the browser reaches previewd over https", async () => {
    const response = await byName("/dashboard/session", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-proto": "https" },
      body: `token=${token}`,
      redirect: "manual",
    });
    expect(response.headers.get("set-cookie")).toContain("Secure");
  });

  it("the cookie opens /v1 to the page: reads, and writes that carry X-Previewd-Dashboard", async () => {
    const cookie = await sessionCookie();
    expect((await byName("/", { headers: { cookie } })).headers.get("content-type")).toMatch(/html/);
    expect(await (await byName("/", { headers: { cookie } })).text()).toContain("/dashboard/assets/app.js");
    expect((await api.request("/v1/environments", { headers: { cookie } })).status).toBe(200);
    const redeploy = (headers: Record<string, string>) =>
      api.request("/v1/environments/env-1/redeploy", { method: "POST", headers: { cookie, ...headers } });
    // A form could send the cookie but never this header: without it, no write.
    expect((await redeploy({})).status).toBe(401);
    expect((await redeploy({ "x-previewd-dashboard": "1" })).status).toBe(202);
    // A request another site started never rides on the cookie.
    const crossSite = await api.request("/v1/environments", {
      headers: { cookie, "sec-fetch-site": "cross-site" },
    });
    expect(crossSite.status).toBe(401);
    expect(
      (await api.request("/v1/environments", { headers: { cookie: "previewd_dashboard=forged" } })).status,
    ).toBe(401);
  });

  it("signing out forgets the session", async () => {
    const cookie = await sessionCookie();
    const out = await api.request("/dashboard/session", {
      method: "DELETE",
      headers: { cookie, "x-previewd-dashboard": "1" },
    });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^previewd_dashboard=;/);
    expect((await api.request("/v1/environments", { headers: { cookie } })).status).toBe(401);
    expect(await (await api.request("/dashboard/session", { headers: { cookie } })).json()).toEqual({
      tokenRequired: true,
      signedIn: false,
    });
  });
});

describe("the dashboard without a token", () => {
  it("serves the page at / at once", async () => {
    const open = await startTestApi();
    try {
      const page = await open.request("/");
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<script type="module" src="/dashboard/assets/app.js">');
    } finally {
      await open.close();
    }
  });
});
