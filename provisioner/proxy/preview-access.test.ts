import type http from "node:http";
import { describe, expect, it } from "vitest";
import { PreviewAccess, SESSION_COOKIE } from "./preview-access.ts";
import { PreviewSigner } from "./preview-signature.ts";

const now = new Date("2030-01-01T00:00:00Z");
const later = new Date("2030-01-08T00:00:00Z");
const access = new PreviewAccess({ token: "secret", now: () => now });

function request(url: string, headers: http.IncomingHttpHeaders = {}): http.IncomingMessage {
  return { url, headers: { ...headers } } as http.IncomingMessage;
}

function shareOf(link: string): string {
  return new URL(link).searchParams.get("previewd_share")!;
}

describe("PreviewAccess", () => {
  it("lets everything through without a token, or with public previews", () => {
    expect(new PreviewAccess({}).decide(request("/"), "env-1")).toEqual({ kind: "pass" });
    const open = new PreviewAccess({ token: "secret", publicPreviews: true });
    expect(open.decide(request("/"), "env-1")).toEqual({ kind: "pass" });
    expect(open.shareUrl("http://web--env-1.localhost:7070/", "env-1", later)).toBe(
      "http://web--env-1.localhost:7070/",
    );
  });

  it("refuses a request with neither the token nor a session", () => {
    expect(access.decide(request("/admin"), "env-1").kind).toBe("deny");
    expect(access.decide(request("/", { authorization: "Bearer wrong" }), "env-1").kind).toBe("deny");
    expect(access.decide(request("/", { authorization: "Bearer secret" }), "env-1")).toEqual({
      kind: "pass",
    });
  });

  it("turns a share link into a host-only session cookie and a redirect without the link's value", () => {
    const link = access.shareUrl("http://web--env-1.localhost:7070/cart?a=1&b=%20x", "env-1", later);
    const decision = access.decide(request(`/cart?a=1&previewd_share=${shareOf(link)}&b=%20x`), "env-1");
    expect(decision.kind).toBe("redirect");
    if (decision.kind !== "redirect") return;
    expect(decision.location).toBe("/cart?a=1&b=%20x");
    expect(decision.setCookie).toMatch(
      new RegExp(`^${SESSION_COOKIE}=\\d+\\.[\\w-]{43}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax$`),
    );
    const cookie = decision.setCookie.split(";")[0]!;
    expect(cookie).not.toContain("secret");
    expect(access.decide(request("/", { cookie: `theme=dark; ${cookie}` }), "env-1")).toEqual({
      kind: "pass",
    });
    // One environment's session opens nothing else.
    expect(access.decide(request("/", { cookie }), "env-2").kind).toBe("deny");
  });

  it("refuses expired, tampered and other environments' share links", () => {
    const expired = shareOf(access.shareUrl("http://x/", "env-1", new Date("2029-12-31T00:00:00Z")));
    expect(access.decide(request(`/?previewd_share=${expired}`), "env-1")).toMatchObject({
      kind: "deny",
      detail: expect.stringContaining("expired"),
    });
    const valid = shareOf(access.shareUrl("http://x/", "env-1", later));
    const [seconds, mac] = valid.split(".");
    const extended = `${Number(seconds) + 86_400}.${mac}`;
    for (const value of [extended, `${seconds}.${mac!.slice(0, -1)}A`, "garbage"]) {
      expect(access.decide(request(`/?previewd_share=${value}`), "env-1").kind).toBe("deny");
    }
    expect(access.decide(request(`/?previewd_share=${valid}`), "env-2").kind).toBe("deny");
    // A session cookie is not a share link, nor the other way round.
    const session = access.sessionValue("env-1", later)!;
    expect(access.decide(request(`/?previewd_share=${session}`), "env-1").kind).toBe("deny");
    expect(access.decide(request("/", { cookie: `${SESSION_COOKIE}=${valid}` }), "env-1").kind).toBe("deny");
  });

  it("signs with a key of its own, never the token", () => {
    const signer = new PreviewSigner("secret");
    const value = signer.sign("share", "env-1", later);
    expect(value).not.toContain("secret");
    expect(new PreviewSigner("other").verify("share", "env-1", value, now)).toEqual({
      ok: false,
      reason: "forged",
    });
    expect(signer.verify("share", "env-1", value, now)).toEqual({ ok: true, expiresAt: later });
  });

  it("strips its own cookie and the token before the app sees the request, keeping the app's own", () => {
    const req = request("/", { authorization: "Bearer secret", cookie: `a=1; ${SESSION_COOKIE}=x; b=2` });
    access.stripCredentials(req);
    expect(req.headers).toEqual({ cookie: "a=1; b=2" });
    const appAuth = request("/", { authorization: "Basic YTpi", cookie: `${SESSION_COOKIE}=x` });
    access.stripCredentials(appAuth);
    expect(appAuth.headers).toEqual({ authorization: "Basic YTpi" });
  });
});
