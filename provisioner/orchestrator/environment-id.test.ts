import { describe, expect, it } from "vitest";
import { slug } from "../sources/slug.ts";
import { environmentId, ttlSeconds } from "./environment-id.ts";

describe("environmentId", () => {
  it("is a DNS label of at most 40 characters", () => {
    const id = environmentId(
      "shop",
      "feature/Very_Long-branch.name/with/many/parts/and/more",
      "repo\0ref\0dir",
    );
    expect(id).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
    expect(id.length).toBeLessThanOrEqual(40);
    expect(id.startsWith("shop-feature-very-long-branch")).toBe(true);
  });

  it("differs for different identities with the same ref", () => {
    expect(environmentId("shop", "main", "a")).not.toBe(environmentId("shop", "main", "b"));
    expect(environmentId("shop", "main", "a")).toBe(environmentId("shop", "main", "a"));
  });

  it("slugs never end in a dash or come out empty", () => {
    expect(slug("--", 10)).toBe("x");
    expect(slug("abc-def", 4)).toBe("abc");
  });
});

describe("ttlSeconds", () => {
  it("reads durations", () => {
    expect(ttlSeconds(90)).toBe(90);
    expect(ttlSeconds("30m")).toBe(1800);
    expect(ttlSeconds("2h")).toBe(7200);
    expect(ttlSeconds("7d")).toBe(604800);
  });
});
