import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.ts";
import { loadGuardConfig } from "./guard-config.ts";
import { createRequestGuard, type RequestGuardOptions } from "./request-guard.ts";

const port = 7070;

function request(headers: Record<string, string>, url = "/v1/environments"): IncomingMessage {
  return { headers, url, socket: { localPort: port } } as unknown as IncomingMessage;
}

function verdict(options: Partial<RequestGuardOptions>, headers: Record<string, string>, url?: string) {
  const guard = createRequestGuard({
    config: { allowedHosts: [], allowedOrigins: [] },
    baseDomain: "localhost",
    ...options,
  });
  return guard(request(headers, url))?.type ?? "allowed";
}

describe("the Host check", () => {
  it("answers loopback names on any port, and nothing else unless configured", () => {
    for (const host of [
      "localhost",
      "localhost:7070",
      "LOCALHOST.:1",
      "127.0.0.1:7070",
      "[::1]:9",
      "127.0.0.1",
    ])
      expect(verdict({}, { host }), host).toBe("allowed");
    for (const host of [
      "evil.example:7070",
      "evil.example",
      "127.0.0.2:7070",
      "localhost.evil.example",
      "",
      "a/b",
      "u@localhost",
    ])
      expect(verdict({}, { host }), host).toBe("forbidden-host");
    expect(verdict({}, {})).toBe("forbidden-host");
  });

  it("adds PREVIEWD_ALLOWED_HOSTS (names, domains with a leading dot, host:port) and the public URL's host", () => {
    const config = {
      allowedHosts: ["box.lan", ".corp.example", "pinned.lan:8080"],
      allowedOrigins: [],
      publicUrl: "https://previewd.example.com",
    };
    for (const host of [
      "box.lan:7070",
      "corp.example",
      "a.b.corp.example:1",
      "pinned.lan:8080",
      "previewd.example.com",
    ])
      expect(verdict({ config }, { host }), host).toBe("allowed");
    for (const host of ["pinned.lan:8081", "xcorp.example", "box.lan.evil.example"])
      expect(verdict({ config }, { host }), host).toBe("forbidden-host");
  });
});

describe("the Origin check", () => {
  const host = "127.0.0.1:7070";

  it("lets requests without an Origin through, and previewd's own origins", () => {
    expect(verdict({}, { host })).toBe("allowed");
    for (const origin of ["http://127.0.0.1:7070", "http://localhost:7070", "http://[::1]:7070"])
      expect(verdict({}, { host, origin }), origin).toBe("allowed");
  });

  it("refuses other sites, other local ports, preview pages and null, whatever the Host says", () => {
    for (const origin of [
      "http://evil.example:7070",
      "http://127.0.0.1:41234",
      "http://localhost:3000",
      "https://127.0.0.1:7070",
      "http://web--shop-1.localhost:7070",
      "null",
      "file://",
      "http://127.0.0.1:7070, http://evil.example",
    ])
      expect(verdict({}, { host, origin }), origin).toBe("forbidden-origin");
    // DNS rebinding: Host and Origin agree, and are both the attacker's.
    expect(verdict({}, { host: "evil.example:7070", origin: "http://evil.example:7070" })).toBe(
      "forbidden-host",
    );
  });

  it("adds PREVIEWD_ALLOWED_ORIGINS and the public URL's origin; preview hosts stay out under a broad host rule", () => {
    const config = {
      allowedHosts: [".example.com"],
      allowedOrigins: ["https://tools.example.net"],
      publicUrl: "https://previewd.example.com/",
    };
    const options = { config, baseDomain: "preview.example.com" };
    expect(verdict(options, { host, origin: "https://tools.example.net" })).toBe("allowed");
    expect(verdict(options, { host, origin: "https://previewd.example.com" })).toBe("allowed");
    expect(verdict(options, { host, origin: "http://box.example.com:7070" })).toBe("allowed");
    expect(verdict(options, { host, origin: "http://web--e.preview.example.com:7070" })).toBe(
      "forbidden-origin",
    );
  });

  it("accepts the extra origins of a path (OFREP's own preview pages) on that path only", () => {
    const web = "http://web--shop-1.localhost:7070";
    const extraOrigins = (path: string) => (path.startsWith("/v1/environments/shop-1/ofrep/") ? [web] : []);
    const ofrep = "/v1/environments/shop-1/ofrep/v1/evaluate/flags";
    expect(verdict({ extraOrigins }, { host, origin: web }, ofrep)).toBe("allowed");
    expect(verdict({ extraOrigins }, { host, origin: web }, "/v1/environments/shop-1/redeploy")).toBe(
      "forbidden-origin",
    );
  });
});

describe("guard settings", () => {
  it("reads comma-separated lists and names the variable of a malformed entry", () => {
    expect(
      loadGuardConfig({
        PREVIEWD_ALLOWED_HOSTS: " Box.lan, .corp.example ,",
        PREVIEWD_ALLOWED_ORIGINS: "https://a.example/",
      }),
    ).toEqual({ allowedHosts: ["box.lan", ".corp.example"], allowedOrigins: ["https://a.example"] });
    expect(() => loadGuardConfig({ PREVIEWD_ALLOWED_HOSTS: "http://x/" })).toThrow(ValidationError);
    try {
      loadGuardConfig({ PREVIEWD_ALLOWED_ORIGINS: "https://a.example/path,null" });
    } catch (error) {
      expect((error as ValidationError).errors?.map((e) => e.path)).toEqual([
        "PREVIEWD_ALLOWED_ORIGINS",
        "PREVIEWD_ALLOWED_ORIGINS",
      ]);
    }
  });
});
