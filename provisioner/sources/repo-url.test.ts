import { describe, expect, it } from "vitest";
import { canonicalUrl, mirrorName } from "./repo-url.ts";

describe("canonicalUrl", () => {
  it.each([
    ["https://bot:s3cret@GitHub.com/acme/shop.git/", "https://github.com/acme/shop.git"],
    ["https://github.com/acme/shop.git#frag", "https://github.com/acme/shop.git"],
    ["ssh://git@Example.COM/acme/shop.git", "ssh://git@example.com/acme/shop.git"],
    ["file:///srv/repos/shop/", "file:///srv/repos/shop"],
    ["git@github.com:acme/shop.git", "git@github.com:acme/shop.git"],
  ])("%s → %s", (url, canonical) => {
    expect(canonicalUrl(url)).toBe(canonical);
  });
});

describe("mirrorName", () => {
  it("is the repository's name plus a hash of the URL", () => {
    expect(mirrorName("https://github.com/acme/Shop.git")).toMatch(/^shop-[0-9a-f]{12}$/);
    expect(mirrorName("git@github.com:acme/shop.git")).toMatch(/^shop-[0-9a-f]{12}$/);
    expect(mirrorName("https://github.com/acme/shop.git")).not.toBe(
      mirrorName("https://github.com/other/shop.git"),
    );
  });
});
