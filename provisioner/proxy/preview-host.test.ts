import { describe, expect, it } from "vitest";
import { MAX_HOST_HEADER_LENGTH, parsePreviewHost, splitPreviewLabel } from "./preview-host.ts";

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

  it("takes a 15 KB label of `--` apart in one pass, offering only ids short enough to exist", () => {
    const label = `${"a--".repeat(5000)}env`;
    const candidates = splitPreviewLabel(label);
    // Each candidate is two slices of the label: 5,000 of them made parsing quadratic.
    expect(candidates.length).toBeLessThanOrEqual(32);
    expect(candidates.at(-1)).toEqual({ app: `${"a--".repeat(4999)}a`, envId: "env" });
    expect(candidates[0]!.envId.length).toBeLessThanOrEqual(63);
  });

  it("refuses a 15 KB Host before parsing it", () => {
    expect(parsePreviewHost(`${"a--".repeat(5000)}env.localhost:7070`, "localhost")).toEqual({
      kind: "too-long",
      length: 15_018,
    });
  });

  it("refuses a Host longer than a DNS name and a port", () => {
    const longest = `${"a".repeat(253 - ".localhost".length)}.localhost:65535`;
    expect(parsePreviewHost(longest, "localhost").kind).toBe("preview");
    expect(parsePreviewHost(`${"a".repeat(MAX_HOST_HEADER_LENGTH)}.localhost`, "localhost")).toEqual({
      kind: "too-long",
      length: MAX_HOST_HEADER_LENGTH + ".localhost".length,
    });
  });
});
