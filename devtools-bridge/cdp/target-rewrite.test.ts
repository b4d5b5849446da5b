import { describe, expect, it } from "vitest";
import { listedTargets, rewriteTarget, rewriteVersion, type BridgeAddress } from "./target-rewrite.ts";

const address: BridgeAddress = {
  wsBase: "ws://127.0.0.1:7070/v1/environments/shop-x-1234/devtools",
  browserId: "11111111-2222-3333-4444-555555555555",
  query: "",
};

describe("rewriting Chromium's /json answers toward the bridge", () => {
  it("points the browser endpoint at the environment's stable browser id", () => {
    const version = rewriteVersion(
      { Browser: "Chrome/156", webSocketDebuggerUrl: "ws://127.0.0.1:41000/devtools/browser/abc-def" },
      { ...address, query: "?token=t" },
    );
    expect(version).toEqual({
      Browser: "Chrome/156",
      webSocketDebuggerUrl: `${address.wsBase}/browser/${address.browserId}?token=t`,
    });
  });

  it("rewrites a page target's WebSocket and frontend URLs, never leaving the browser's port", () => {
    const target = rewriteTarget(
      {
        id: "PAGE1",
        type: "page",
        devtoolsFrontendUrl:
          "https://chrome-devtools-frontend.appspot.com/serve_rev/@abc/inspector.html?ws=127.0.0.1:41000/devtools/page/PAGE1",
        webSocketDebuggerUrl: "ws://127.0.0.1:41000/devtools/page/PAGE1",
      },
      address,
    );
    expect(target.webSocketDebuggerUrl).toBe(`${address.wsBase}/page/PAGE1`);
    expect(target.devtoolsFrontendUrl).toBe(
      "https://chrome-devtools-frontend.appspot.com/serve_rev/@abc/inspector.html?ws=127.0.0.1:7070/v1/environments/shop-x-1234/devtools/page/PAGE1",
    );
    expect(JSON.stringify(target)).not.toContain("41000");
  });
});

describe("rewriting toward a browserUrl, Chrome's paths at the root", () => {
  it("points WebSockets at the environment's own port", () => {
    const root = { ...address, wsBase: "ws://127.0.0.1:41234/devtools" };
    const target = rewriteTarget(
      { id: "PAGE1", type: "page", webSocketDebuggerUrl: "ws://127.0.0.1:41000/devtools/page/PAGE1" },
      root,
    );
    expect(target.webSocketDebuggerUrl).toBe("ws://127.0.0.1:41234/devtools/page/PAGE1");
    const version = rewriteVersion(
      { webSocketDebuggerUrl: "ws://127.0.0.1:41000/devtools/browser/abc" },
      root,
    );
    expect(version.webSocketDebuggerUrl).toBe(`ws://127.0.0.1:41234/devtools/browser/${address.browserId}`);
  });
});

describe("what /json/list shows a client", () => {
  it("keeps pages and drops the browser's UI, workers and the bridge's own windows", () => {
    const targets = [
      { id: "P1", type: "page", url: "http://web--e.localhost:7070/" },
      { id: "UI", type: "browser_ui", url: "chrome://omnibox-popup.top-chrome/" },
      { id: "UI2", type: "page", url: "chrome://omnibox-popup.top-chrome/omnibox_popup_aim.html" },
      { id: "SW", type: "service_worker", url: "http://web--e.localhost:7070/sw.js" },
      { id: "SHOT", type: "page", url: "http://web--e.localhost:7070/" },
    ];
    expect(listedTargets(targets, new Set(["SHOT"])).map((t) => t.id)).toEqual(["P1"]);
  });
});
