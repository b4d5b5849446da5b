import { describe, expect, it } from "vitest";
import type { EnvironmentView } from "../../environments/environment-schema.ts";
import { ValidationError } from "../../errors.ts";
import { pageUrlFor } from "./page-target.ts";

const environment = {
  apps: {
    api: { url: "http://api--shop-1.localhost:7070", directUrl: null, status: "healthy" },
    web: { url: "http://web--shop-1.localhost:7070", directUrl: null, status: "healthy" },
  },
} as unknown as EnvironmentView;

describe("where browser_navigate goes", () => {
  it("takes an app and a path on its preview URL, web and / by default", () => {
    expect(pageUrlFor(environment, {})).toBe("http://web--shop-1.localhost:7070/");
    expect(pageUrlFor(environment, { app: "api", path: "/healthz?x=1" })).toBe(
      "http://api--shop-1.localhost:7070/healthz?x=1",
    );
    expect(pageUrlFor(environment, { url: "/products/2" })).toBe(
      "http://web--shop-1.localhost:7070/products/2",
    );
  });

  it("takes a URL as it is", () => {
    expect(pageUrlFor(environment, { url: "https://example.com/a" })).toBe("https://example.com/a");
    expect(pageUrlFor(environment, { url: "about:blank" })).toBe("about:blank");
  });

  it.each([
    [{ app: "admin" }, "app"],
    [{ path: "//elsewhere.example/x" }, "path"],
    [{ path: "products" }, "path"],
    [{ url: "file:///etc/passwd" }, "url"],
    [{ url: "not a url" }, "url"],
    [{ url: "https://example.com", path: "/x" }, "path"],
  ])("refuses %j, naming %s", (target, field) => {
    expect(() => pageUrlFor(environment, target)).toThrow(ValidationError);
    try {
      pageUrlFor(environment, target);
    } catch (error) {
      expect((error as ValidationError).errors?.map((e) => e.path)).toContain(field);
    }
  });
});
