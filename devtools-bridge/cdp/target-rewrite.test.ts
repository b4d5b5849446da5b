import { describe, expect, it } from "vitest";
import { rewriteTarget, rewriteVersion, type BridgeAddress } from "./target-rewrite.ts";

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
