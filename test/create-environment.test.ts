import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { createFixtureRepo, type FixtureRepo } from "./helpers/fixture-monorepo.ts";
import { getViaProxy, startHarness, type Harness } from "./helpers/previewd-harness.ts";

let harness: Harness;
let repo: FixtureRepo;

beforeAll(async () => {
  repo = createFixtureRepo({ version: "main" });
  repo.checkout("feature/x", true);
  repo.commit({ "apps/web/version.txt": "feature x" }, "feature x");
  repo.checkout("main");
  harness = await startHarness();
});
afterAll(async () => harness?.close());

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  return (await fetch(url, init)).json() as Promise<T>;
}

describe("an environment per branch", () => {
  let main: EnvironmentView;
  let feature: EnvironmentView;

  it("runs a branch with healthy apps that serve that branch's code", async () => {
    const reply = await harness.create({ repo: repo.dir, ref: "main" });
    expect(reply.status).toBe(201);
    main = reply.body;
    expect(main).toMatchObject({ status: "ready", ref: "main", runtime: "process", error: null });
    expect(main.id).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(main.commit).toBe(repo.git("rev-parse", "main"));
    expect(main.apps.web?.status).toBe("healthy");
    expect(main.apps.api?.status).toBe("healthy");
    expect(main.services.db).toEqual({ type: "postgres", status: "running" });
    for (const phase of ["worktree", "services", "start", "total"])
      expect(main.timings[phase]).toBeGreaterThanOrEqual(0);

    const page = await getViaProxy(harness.url, new URL(main.apps.web!.url).host);
    expect(page.status).toBe(200);
    expect(page.body).toContain("<h1 id=version>main</h1>");
    const direct = await (await fetch(main.apps.web!.directUrl!)).text();
    expect(direct).toContain("<h1 id=version>main</h1>");
  });

  it("gives apps the environment variables SPEC promises", async () => {
    const info = await json<{ env: Record<string, string> }>(`${main.apps.web!.directUrl}/info`);
    expect(info.env).toMatchObject({
      HOST: "127.0.0.1",
      PREVIEW_ENV_ID: main.id,
      PREVIEW_REF: "main",
      PREVIEW_COMMIT: main.commit,
      PREVIEW_URL_WEB: main.apps.web!.url,
      PREVIEW_URL_API: main.apps.api!.url,
      PREVIEW_FLAGS_URL: `${harness.url}/v1/environments/${main.id}`,
      API_URL: main.apps.api!.directUrl,
    });
    // The app listens on PORT; directUrl reaches it through its front, which outlives redeploys.
    const own = await json<{ env: Record<string, string> }>(`http://127.0.0.1:${info.env.PORT}/info`);
    expect(own.env.PREVIEW_ENV_ID).toBe(main.id);
  });

  it("runs a second branch at the same time, with its own database", async () => {
    const reply = await harness.create({ repo: repo.dir, ref: "feature/x" });
    expect(reply.status).toBe(201);
    feature = reply.body;
    expect(feature.status).toBe("ready");
    expect(feature.id).not.toBe(main.id);

    const page = await getViaProxy(harness.url, new URL(feature.apps.web!.url).host);
    expect(page.body).toContain("<h1 id=version>feature x</h1>");

    await fetch(`${main.apps.api!.directUrl}/notes`, {
      method: "POST",
      body: JSON.stringify({ text: "only in main" }),
    });
    expect(await json(`${main.apps.api!.directUrl}/notes`)).toEqual(["only in main"]);
    expect(await json(`${feature.apps.api!.directUrl}/notes`)).toEqual([]);
    const mainDb = (await json<{ env: Record<string, string> }>(`${main.apps.api!.directUrl}/info`)).env
      .DATABASE_URL;
    const featureDb = (await json<{ env: Record<string, string> }>(`${feature.apps.api!.directUrl}/info`)).env
      .DATABASE_URL;
    expect(mainDb).not.toBe(featureDb);
  });

  it("returns the same environment when asked again", async () => {
    const again = await harness.request<EnvironmentView>("POST", "/v1/environments", {
      repo: repo.dir,
      ref: "main",
    });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(main.id);
    // No ref means the repo's HEAD, which is main: the same environment.
    const head = await harness.request<EnvironmentView>("POST", "/v1/environments", { repo: repo.dir });
    expect(head.status).toBe(200);
    expect(head.body.id).toBe(main.id);
  });

  it("gives twenty concurrent creates of one ref one environment", async () => {
    repo.git("branch", "concurrent", "main");
    const replies = await Promise.all(
      Array.from({ length: 20 }, () =>
        harness.request<EnvironmentView>("POST", "/v1/environments", { repo: repo.dir, ref: "concurrent" }),
      ),
    );
    const ids = new Set(replies.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 200)).toHaveLength(19);
    const [id] = [...ids];
    const list = await harness.request<EnvironmentView[]>("GET", "/v1/environments");
    expect(list.body.filter((e) => e.ref === "concurrent").map((e) => e.id)).toEqual([id]);
    const ready = await harness.request<EnvironmentView>("POST", "/v1/environments?wait=true", {
      repo: repo.dir,
      ref: "concurrent",
    });
    expect(ready.body.status).toBe("ready");
  });

  it("streams the provisioning steps as server-sent events", async () => {
    const response = await fetch(`${harness.url}/v1/environments/${main.id}/events`);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = response.body!.getReader();
    let text = "";
    while (!text.includes('"step":"ready"')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const steps = [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!).step as string);
    expect(steps).toEqual(expect.arrayContaining(["worktree", "services", "start", "ready"]));
  });
});
