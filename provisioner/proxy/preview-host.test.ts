import { describe, expect, it } from "vitest";
import { parsePreviewHost } from "./preview-host.ts";

describe("parsePreviewHost", () => {
  it("splits <app>--<env-id>.<base-domain>, ignoring the port and case", () => {
    expect(parsePreviewHost("Web--Shop-Feature-x-3f2a.localhost:7070", "localhost")).toEqual({
      kind: "preview",
      host: "web--shop-feature-x-3f2a.localhost",
      candidates: [{ app: "web", envId: "shop-feature-x-3f2a" }],
    });
  });

  it("offers every split point when the label has several `--`", () => {
    const parsed = parsePreviewHost("my--app--env--1.preview.example.com", "preview.example.com");
    expect(parsed.kind === "preview" && parsed.candidates).toEqual([
      { app: "my", envId: "app--env--1" },
      { app: "my--app", envId: "env--1" },
      { app: "my--app--env", envId: "1" },
    ]);
  });

  it.each(["127.0.0.1:7070", "localhost:7070", "localhost", "[::1]:7070", "example.com", undefined])(
    "leaves %s to the API",
    (host) => {
      expect(parsePreviewHost(host, "localhost")).toEqual({ kind: "other" });
    },
  );

  it.each([
    "nothing.localhost",
    "a.b--c.localhost",
    "--env.localhost",
    "web--.localhost",
    "web---env.localhost",
  ])("treats %s as an unknown preview host", (host) => {
    const parsed = parsePreviewHost(host, "localhost");
    expect(parsed.kind).toBe("preview");
    expect(parsed.kind === "preview" && parsed.candidates).toEqual([]);
  });
});
