/**
 * examples/shop's seed scenarios in its preview: the default one is loaded at provisioning, every
 * scenario is listed as valid, switching between journeys keeps the api's process and pool, and
 * loading a scenario twice gives identical tables. Leaves the default scenario, demo, loaded.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../../provisioner/environments/environment-schema.ts";
import type { ScenarioSummary } from "../../provisioner/environments/scenario-api-schema.ts";
import { dumpDatabase } from "../../seed-scenarios/database-dump.ts";
import type { ShopPreview } from "./shop-preview.ts";

export function describeScenarios(preview: () => ShopPreview): void {
  let harness: ShopPreview["harness"];
  let env: EnvironmentView;
  const api = (route: string, init?: RequestInit) => fetch(`${env.apps.api!.directUrl}${route}`, init);
  const json = async <T>(route: string): Promise<T> => (await (await api(route)).json()) as T;
  const apiPid = () => harness.previewd.orchestrator.record(env.id).deployment!.apps.api!.handle.pid;
  const load = (name: string) =>
    harness.request<EnvironmentView>("POST", `/v1/environments/${env.id}/scenario`, { name });

  describe("examples/shop's scenarios", () => {
    beforeAll(() => ({ harness, env } = preview()));

    it("provisions with the default scenario, demo", async () => {
      expect(env).toMatchObject({ status: "ready", scenario: "demo", seed: { scenario: "demo" } });
      const customers = await json<{ items: { name: string }[] }>("/customers");
      expect(customers.items.map((c) => c.name)).toEqual(["Ada Lovelace", "Grace Hopper", "Linus Torvalds"]);
    });

    it("lists every scenario as valid, each describing its journey", async () => {
      const list = (await harness.request<ScenarioSummary[]>("GET", `/v1/environments/${env.id}/scenarios`))
        .body;
      expect(list.map((s) => s.name)).toEqual([
        "big-catalog",
        "checkout-v2",
        "demo",
        "empty",
        "expired-card",
      ]);
      for (const scenario of list) {
        expect(scenario.error).toBeNull();
        expect(scenario.description).toMatch(/^Journey: /);
      }
    });

    it("switches between journeys while the api keeps serving from its pool, same process", async () => {
      const pid = apiPid();
      expect((await load("big-catalog")).body).toMatchObject({
        scenario: "big-catalog",
        flags: { "page-size": 50 },
      });
      const page = await json<{ items: { name: string }[]; total: number; pageSize: number }>(
        "/products?page=100",
      );
      expect(page).toMatchObject({ total: 5000, pageSize: 50 });
      expect(page.items.at(-1)?.name).toBe("Product 5000");

      expect((await load("expired-card")).status).toBe(200);
      const order = await api("/orders", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ customerId: 1, productId: 1 }),
      });
      expect(order.status).toBe(402);
      expect(await order.json()).toMatchObject({ error: "card_expired" });

      expect((await load("checkout-v2")).body).toMatchObject({ flags: { "new-checkout": true } });
      expect((await json<{ items: unknown[] }>("/orders")).items).toHaveLength(1);

      expect((await load("empty")).status).toBe(200);
      expect(await json("/products")).toMatchObject({ total: 0 });
      expect((await api("/healthz")).status).toBe(200);
      expect(apiPid()).toBe(pid);
      expect(harness.previewd.orchestrator.get(env.id).apps.api?.status).toBe("healthy");
    });

    it("loads the same scenario into identical tables, load-time timestamps aside", async () => {
      const url = harness.previewd.orchestrator.record(env.id).deployment!.services.db!.url;
      expect((await load("demo")).status).toBe(200);
      const first = await dumpDatabase(url);
      expect((await load("big-catalog")).status).toBe(200);
      expect((await load("demo")).status).toBe(200);
      expect(await dumpDatabase(url)).toBe(first);
      expect(first).toContain("-- public.customers (id, name, email, card_expires, created_at): 3 rows");
    });
  });
}
