import { describe, expect, it } from "vitest";
import { ValidationError } from "../provisioner/errors.ts";
import { bridgeConfigFromEnv } from "./bridge-config.ts";
import { devtoolsEndpoints, stableBrowserId } from "./devtools-endpoints.ts";

describe("browser configuration", () => {
  it("has defaults and reads CHROMIUM_PATH and PREVIEWD_* variables", () => {
    expect(bridgeConfigFromEnv({})).toEqual({ idleMs: 300_000, maxBrowsers: 4, navigationTimeoutMs: 30_000 });
    expect(
      bridgeConfigFromEnv({
        CHROMIUM_PATH: "/opt/chrome",
        PREVIEWD_BROWSER_IDLE_MS: "1000",
        PREVIEWD_MAX_BROWSERS: "2",
      }),
    ).toMatchObject({ chromiumPath: "/opt/chrome", idleMs: 1000, maxBrowsers: 2 });
  });

  it("names the variable that is wrong", () => {
    try {
      bridgeConfigFromEnv({ PREVIEWD_MAX_BROWSERS: "many" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors?.[0]?.path).toBe("PREVIEWD_MAX_BROWSERS");
    }
  });
});

describe("devtools endpoints", () => {
  it("are stable per environment and point at the bridge", () => {
    expect(stableBrowserId("shop-x-1")).toBe(stableBrowserId("shop-x-1"));
    expect(stableBrowserId("shop-x-1")).not.toBe(stableBrowserId("shop-x-2"));
    expect(stableBrowserId("shop-x-1")).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(devtoolsEndpoints("http://127.0.0.1:7070", "shop-x-1", "http://127.0.0.1:41234")).toEqual({
      http: "http://127.0.0.1:7070/v1/environments/shop-x-1/devtools",
      webSocketDebuggerUrl: `ws://127.0.0.1:7070/v1/environments/shop-x-1/devtools/browser/${stableBrowserId("shop-x-1")}`,
      browserUrl: "http://127.0.0.1:41234",
    });
  });
});
