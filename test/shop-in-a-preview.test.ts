/**
 * examples/shop in one preview environment, provisioned once (a cold install and three builds)
 * from the folder it sits in within its repository, as previewd's own examples/shop does, and
 * shared by the stories that follow, in order: its seed scenarios (which leave the default one
 * loaded), a click through the storefront in the environment's browser, and a recorded checkout
 * (which ends by deleting the environment). Each story reads on its own in test/shop-preview/.
 */
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, expect } from "vitest";
import { browserPids } from "./helpers/browser-processes.ts";
import { startHarness } from "./helpers/previewd-harness.ts";
import { ownerIdOf } from "./helpers/processes.ts";
import { createShopRepo } from "./helpers/shop-repo.ts";
import { describeDriveInBrowser } from "./shop-preview/drive-in-browser.ts";
import { describeRecordACheckoutFlow } from "./shop-preview/record-a-checkout-flow.ts";
import { describeScenarios } from "./shop-preview/scenarios.ts";
import type { ShopPreview } from "./shop-preview/shop-preview.ts";

// A cold `npm ci` and the shop's builds on a loaded machine: the provisioning wait fills the hook.
const setupTimeoutMs = 600_000;
let repo: string | undefined;
let shop: ShopPreview | undefined;

beforeAll(async () => {
  repo = createShopRepo({ under: "examples/shop" });
  const harness = await startHarness();
  shop = { harness, env: undefined as never };
  const created = await harness.create(
    { repo, dir: "examples/shop", ref: "main" },
    setupTimeoutMs / 1000 - 60,
  );
  expect(created.body.status, JSON.stringify(created.body.error)).toBe("ready");
  shop.env = created.body;
}, setupTimeoutMs);
afterAll(async () => {
  if (shop) {
    const owner = ownerIdOf(shop.harness.dataDir);
    await shop.harness.close();
    expect(browserPids(owner)).toEqual([]);
  }
  if (repo) await rm(repo, { recursive: true, force: true });
});

const preview = (): ShopPreview => shop!;
describeScenarios(preview);
describeDriveInBrowser(preview);
describeRecordACheckoutFlow(preview);
