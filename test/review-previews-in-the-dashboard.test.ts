/**
 * A reviewer's dashboard at `GET /` (SPEC "Dashboard"), driven in real headless Chromium against
 * examples/shop on a real previewd with a token set: the page asks for the token once (a wrong one
 * is refused) and keeps a session cookie (HttpOnly, SameSite=Strict, never the token) that carries
 * everything after; the list follows an environment from creation to deletion; a flag switched or
 * edited on the page reaches the API and the app's page (opened through the page's share link); a
 * scenario loaded from the page changes the data; a new app log line shows within a second; a
 * screenshot taken from the page appears.
 */
import { rm } from "node:fs/promises";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { chromiumPath, requireChromium, skipWithoutChromium } from "./helpers/chromium.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";
import { createShopRepo } from "./helpers/shop-repo.ts";

// A cold `npm ci` and the shop's builds on a loaded machine: the provisioning wait fills the test.
const setupTimeoutMs = 600_000;
const token = "reviewer-token-0123456789";
const auth = { authorization: `Bearer ${token}` };
let harness: Harness;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let repo: string;
let env: EnvironmentView;
/** Uncaught errors of the page's own scripts: there must be none. */
const pageErrors: string[] = [];

const api = <T>(method: string, route: string, body?: unknown) =>
  harness.request<T>(method, route, body, auth);
const flagValue = async (key: string) =>
  (await api<Record<string, { value: unknown }>>("GET", `/v1/environments/${env.id}/flags`)).body[key]?.value;
const web = (route: string) => fetch(`${env.apps.web!.directUrl}${route}`);
const products = async () =>
  ((await (await fetch(`${env.apps.api!.directUrl}/products`)).json()) as { total: number }).total;

describe.skipIf(skipWithoutChromium)("reviewing previews in the dashboard", () => {
  beforeAll(async () => {
    requireChromium();
    repo = createShopRepo();
    harness = await startHarness({ token });
    browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    if (repo) await rm(repo, { recursive: true, force: true });
  });

  it("asks for the token once: a wrong one is refused, the right one sets an HttpOnly, SameSite=Strict cookie", async () => {
    await page.goto(`${harness.url}/`);
    await page.getByLabel("Token").fill("not-the-token");
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/dashboard/session")),
      page.getByRole("button", { name: "Open the dashboard" }).click(),
    ]);
    expect(refused.status()).toBe(401);
    await page.getByRole("alert").getByText("not this previewd's token").waitFor();
    expect(await context.cookies()).toEqual([]);

    await page.getByLabel("Token").fill(token);
    await page.getByRole("button", { name: "Open the dashboard" }).click();
    // The page's own API calls pass on the cookie: the live list answers, empty.
    await page.getByText("No environments yet").waitFor();
    await page.locator("#connection", { hasText: "live" }).waitFor();
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({
      name: "previewd_dashboard",
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      secure: false,
      // Not 127.0.0.1, where every app's directUrl is: previewd moved the page to localhost first.
      domain: "localhost",
    });
    expect(cookies[0]!.value).not.toContain(token);
    expect(page.url()).toBe(`${harness.url.replace("127.0.0.1", "localhost")}/`);
    expect(await page.content()).not.toContain(token);
    // The same cookie sent from outside the page (no X-Previewd-Dashboard) changes nothing.
    const write = await fetch(`${harness.url}/v1/environments`, {
      method: "POST",
      headers: { cookie: `previewd_dashboard=${cookies[0]!.value}`, "content-type": "application/json" },
      body: JSON.stringify({ repo }),
    });
    expect(write.status).toBe(401);
  });

  it(
    "lists an environment as soon as it is created, and follows it to ready",
    async () => {
      const created = await api<EnvironmentView>("POST", "/v1/environments", { repo, ref: "main" });
      expect(created.status).toBe(201);
      env = created.body;
      const row = page.locator(`li[data-id="${env.id}"]`);
      await row.getByText("provisioning").waitFor({ timeout: 5000 });
      expect(await page.getByText("No environments yet").isVisible()).toBe(false);

      await harness.previewd.orchestrator.settle(env.id, setupTimeoutMs - 60_000);
      env = harness.previewd.orchestrator.get(env.id);
      expect(env.status, JSON.stringify(env.error)).toBe("ready");
      await row.getByText("ready").waitFor({ timeout: 5000 });
      const text = await row.textContent();
      for (const part of [env.id, "main", env.commit.slice(0, 7), "demo"]) expect(text).toContain(part);
    },
    setupTimeoutMs,
  );

  it("opens the environment: apps with health and share links, services, steps and per-phase timings", async () => {
    await page.locator(`li[data-id="${env.id}"] a`).click();
    await page.getByRole("heading", { name: env.id }).waitFor();
    // Keyboard users land on the environment they opened.
    await page.locator("#detail-title:focus").waitFor();
    for (const app of ["api", "web", "admin"]) {
      await page.locator(`[data-app="${app}"] .badge[data-status="healthy"]`).waitFor();
      const link = page.getByRole("link", { name: `Open ${app}` });
      await link.and(page.locator("[href*=previewd_share]")).waitFor();
      expect(new URL((await link.getAttribute("href"))!).origin).toBe(new URL(env.apps[app]!.url).origin);
    }
    await page.locator(".services").getByText("running").waitFor();
    await page.locator(".events tbody tr", { hasText: "install" }).first().waitFor();
    expect(await page.locator(".timings dt").allTextContents()).toEqual(
      expect.arrayContaining(["install", "build", "total"]),
    );
  });

  it("a flag switched or edited on the page changes what the API returns and the app's page", async () => {
    await page.getByRole("switch", { name: "new-checkout" }).check();
    await expect.poll(() => flagValue("new-checkout"), { timeout: 10_000 }).toBe(true);
    // The reviewer's way to the app: the page's link, a share link to the protected preview.
    const preview = await context.newPage();
    await preview.goto((await page.getByRole("link", { name: "Open web" }).getAttribute("href"))!);
    await preview.goto(`${env.apps.web!.url}/checkout`);
    await preview.locator("#new-checkout-badge").waitFor({ timeout: 10_000 });

    await page.getByLabel("banner-text").fill("Hello reviewers");
    await page.getByRole("button", { name: "Save banner-text" }).click();
    await expect.poll(() => flagValue("banner-text"), { timeout: 10_000 }).toBe("Hello reviewers");
    await preview.goto(env.apps.web!.url);
    await preview.locator("#banner", { hasText: "Hello reviewers" }).waitFor({ timeout: 10_000 });
    await preview.close();
  });

  it("a scenario loaded from the page changes the data, and the page says so", async () => {
    expect(await products()).toBeGreaterThan(0);
    await page.getByLabel("Scenario", { exact: true }).selectOption("empty");
    await page.getByRole("button", { name: "Load scenario" }).click();
    await page.getByText(/^Loaded empty in /).waitFor({ timeout: 60_000 });
    expect(await products()).toBe(0);
    await page.getByText("The data holds empty").waitFor({ timeout: 5000 });
  });

  it("shows a new app log line within a second, and filters by app, stream and grep", async () => {
    const lines = page.locator(".log-lines li");
    await lines.first().waitFor();
    const marker = `dashboard-probe-${Date.now()}`;
    await web(`/${marker}`);
    // Event-driven: the line is pushed to the page as previewd reads it from the app.
    await lines.filter({ hasText: marker }).waitFor({ timeout: 1000 });

    await page.getByLabel("App", { exact: true }).selectOption("api");
    await page.getByLabel("Stream", { exact: true }).selectOption("stdout");
    await lines.first().waitFor();
    expect(new Set(await page.locator(".log-lines .log-app").allTextContents())).toEqual(new Set(["api"]));
    await page.getByLabel("App", { exact: true }).selectOption("");
    await page.getByLabel("Grep").fill(marker);
    await expect.poll(() => lines.allTextContents()).toHaveLength(1);
    expect((await lines.allTextContents())[0]).toContain(`web: GET /${marker} 404`);
  });

  it("takes a screenshot from the page and shows it", async () => {
    await page.getByRole("button", { name: "Take a screenshot of web" }).click();
    const image = page.getByRole("img", { name: /^Screenshot of web/ });
    await image.waitFor({ timeout: 60_000 });
    const loaded = () => image.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth);
    await expect.poll(loaded).toBe(1280);
    expect((await api<unknown[]>("GET", `/v1/environments/${env.id}/screenshots`)).body).toHaveLength(1);
  });

  it("deletes after a confirmation, and the list drops it", async () => {
    // By keyboard: Enter opens the confirmation with Cancel focused, Escape cancels, focus comes back.
    const remove = page.getByRole("button", { name: "Delete", exact: true });
    await remove.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("button", { name: "Cancel" }).and(page.locator(":focus")).waitFor();
    await page.keyboard.press("Escape");
    expect(await dialog.count()).toBe(0);
    await remove.and(page.locator(":focus")).waitFor();
    expect(harness.previewd.orchestrator.get(env.id).status).toBe("ready");

    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await dialog.getByRole("button", { name: "Delete" }).click();
    await page.locator(`li[data-id="${env.id}"]`).waitFor({ state: "detached", timeout: 60_000 });
    expect(harness.previewd.orchestrator.list()).toEqual([]);
    await page.getByText(`There is no environment ${env.id}`).waitFor();
    expect(pageErrors).toEqual([]);
  });
});
