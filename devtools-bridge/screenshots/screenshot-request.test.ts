import { describe, expect, it } from "vitest";
import { ValidationError } from "../../provisioner/errors.ts";
import { resolvePageUrl, screenshotRequestSchema } from "./screenshot-request.ts";

const urls = { api: "http://api--e.localhost:7070", web: "http://web--e.localhost:7070" };

function fieldOf(work: () => unknown): string | undefined {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).errors?.[0]?.path;
  }
  return undefined;
}

describe("which page a screenshot request means", () => {
  it("defaults to the web app's root, else the first app", () => {
    expect(resolvePageUrl({}, urls)).toBe("http://web--e.localhost:7070/");
    expect(resolvePageUrl({}, { api: urls.api })).toBe("http://api--e.localhost:7070/");
    expect(resolvePageUrl({ app: "api", path: "/healthz?x=1" }, urls)).toBe(
      "http://api--e.localhost:7070/healthz?x=1",
    );
  });

  it("takes a preview URL of the environment, or a path, as url", () => {
    expect(resolvePageUrl({ url: "http://api--e.localhost:7070/items" }, urls)).toBe(
      "http://api--e.localhost:7070/items",
    );
    expect(resolvePageUrl({ url: "/about" }, urls)).toBe("http://web--e.localhost:7070/about");
  });

  it("refuses other URLs, unknown apps and url with path", () => {
    expect(fieldOf(() => resolvePageUrl({ url: "http://127.0.0.1:22/" }, urls))).toBe("url");
    expect(fieldOf(() => resolvePageUrl({ url: "not a url" }, urls))).toBe("url");
    expect(fieldOf(() => resolvePageUrl({ app: "admin" }, urls))).toBe("app");
    expect(fieldOf(() => resolvePageUrl({ url: "/a", path: "/b" }, urls))).toBe("url");
  });

  it("keeps a path on the app's preview host: no network-path references to other hosts", () => {
    for (const path of ["//127.0.0.2:8099/x", "/\\127.0.0.2/x", "//evil.example/", "/\\/evil.example"]) {
      expect(
        fieldOf(() => resolvePageUrl({ path }, urls)),
        path,
      ).toBe("path");
      expect(
        fieldOf(() => resolvePageUrl({ url: path }, urls)),
        path,
      ).toBe("url");
    }
    expect(resolvePageUrl({ path: "/a//b?next=//evil.example" }, urls)).toBe(
      "http://web--e.localhost:7070/a//b?next=//evil.example",
    );
  });

  it("caps the viewport at 1920×1080", () => {
    expect(screenshotRequestSchema.safeParse({ width: 1920, height: 1080 }).success).toBe(true);
    expect(screenshotRequestSchema.safeParse({ width: 1921 }).success).toBe(false);
    expect(screenshotRequestSchema.safeParse({ height: 1081 }).success).toBe(false);
    expect(screenshotRequestSchema.safeParse({ colour: "red" }).success).toBe(false);
  });
});
