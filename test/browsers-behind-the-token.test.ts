/**
 * Environments' browsers on a previewd with a token: each environment's browser is its own
 * (targets, cookies and storage; at most PREVIEWD_MAX_BROWSERS of them), and its browserUrl wants
 * the token like the rest of the bridge while every CDP client still connects. One previewd and
 * two environments, shared by both stories in order; each reads on its own in
 * test/browsers-behind-the-token/.
 */
import { afterAll, beforeAll, describe, expect } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { createBrowserFixture } from "./helpers/browser-fixture.ts";
import { browserPids } from "./helpers/browser-processes.ts";
import { requireChromium, skipWithoutChromium } from "./helpers/chromium.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";
import { ownerIdOf } from "./helpers/processes.ts";
import { describeBrowserUrl } from "./browsers-behind-the-token/browser-url.ts";
import { describeIsolation } from "./browsers-behind-the-token/isolation.ts";
import { auth, token, type TokenPreviewd } from "./browsers-behind-the-token/token-previewd.ts";

let harness: Harness | undefined;
let previewd: TokenPreviewd | undefined;

describe.skipIf(skipWithoutChromium)("environments' browsers behind the token", () => {
  beforeAll(async () => {
    requireChromium();
    // Two browsers at most, so the third environment's is refused while both are in use.
    process.env.PREVIEWD_MAX_BROWSERS = "2";
    harness = await startHarness({ token });
    delete process.env.PREVIEWD_MAX_BROWSERS;
    const started = harness;
    const create = async () =>
      (
        await started.request<EnvironmentView>(
          "POST",
          "/v1/environments?wait=true&timeout=120",
          { repo: createBrowserFixture().dir },
          auth,
        )
      ).body;
    const [a, b] = await Promise.all([create(), create()]);
    expect([a.status, b.status]).toEqual(["ready", "ready"]);
    previewd = { harness, a, b };
  });
  afterAll(async () => {
    const owner = harness ? ownerIdOf(harness.dataDir) : "";
    await harness?.close();
    expect(browserPids(owner)).toEqual([]);
  });

  describeIsolation(() => previewd!);
  // On environment a, whose browser the isolation checks leave running (and b deleted).
  describeBrowserUrl(() => previewd!);
});
