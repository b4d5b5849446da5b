import { describe, expect, it } from "vitest";
import { ManifestError, NotFoundError } from "../errors.ts";
import { dependencyErrors, dependentsOf, startOrder } from "./dependency-graph.ts";

function graph(apps: Record<string, string[]>, services: string[] = ["db"]) {
  return {
    services: Object.fromEntries(services.map((s) => [s, {}])),
    apps: Object.fromEntries(Object.entries(apps).map(([name, deps]) => [name, { depends_on: deps }])),
  };
}

describe("startOrder", () => {
  it("layers apps after their app dependencies, ignoring services", () => {
    const manifest = graph({
      web: ["api", "auth"],
      api: ["db", "auth"],
      auth: ["db"],
      docs: [],
      admin: ["web"],
    });
    expect(startOrder(manifest)).toEqual([["auth", "docs"], ["api"], ["web"], ["admin"]]);
  });

  it("puts independent apps in one layer", () => {
    expect(startOrder(graph({ a: [], b: ["db"], c: [] }))).toEqual([["a", "b", "c"]]);
  });

  it("throws a ManifestError naming the cycle", () => {
    expect(() => startOrder(graph({ api: ["web"], web: ["api"] }))).toThrow(ManifestError);
    expect(() => startOrder(graph({ api: ["web"], web: ["api"] }))).toThrow("api -> web -> api");
  });
});

describe("dependencyErrors", () => {
  it("accepts apps and services as dependencies", () => {
    expect(dependencyErrors(graph({ api: ["db"], web: ["api", "db"] }))).toEqual([]);
  });

  it("reports an unknown name at its index and lists what exists", () => {
    expect(dependencyErrors(graph({ api: ["db", "cache"], web: [] }))).toEqual([
      {
        path: "apps.api.depends_on[1]",
        message: 'unknown app or service "cache" (expected one of: web, db)',
      },
    ]);
  });

  it("reports each cycle once, self-dependency included", () => {
    const errors = dependencyErrors(graph({ a: ["b"], b: ["c"], c: ["a"], d: ["d"], e: ["a"] }));
    expect(errors).toEqual([
      {
        path: "apps.a.depends_on[0]",
        message: "dependency cycle a -> b -> c -> a: expected depends_on without cycles",
      },
      {
        path: "apps.d.depends_on[0]",
        message: "dependency cycle d -> d: expected depends_on without cycles",
      },
    ]);
  });
});

describe("dependentsOf", () => {
  const manifest = graph({ web: ["api"], api: ["db"], admin: ["web"], docs: [] });

  it("lists apps that depend on an app, transitively", () => {
    expect(dependentsOf(manifest, "api")).toEqual(["web", "admin"]);
    expect(dependentsOf(manifest, "docs")).toEqual([]);
  });

  it("lists apps that depend on a service", () => {
    expect(dependentsOf(manifest, "db")).toEqual(["web", "api", "admin"]);
  });

  it("rejects an unknown name", () => {
    expect(() => dependentsOf(manifest, "nope")).toThrow(NotFoundError);
  });
});
