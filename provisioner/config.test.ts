import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";
import { ValidationError } from "./errors.ts";

describe("the cache settings", () => {
  it("default to sharing through the package managers' stores under a 10 GiB cap", () => {
    const config = loadConfig({}, {});
    expect(config.installSharing).toBe("package-manager");
    expect(config.cacheMaxBytes).toBe(10 * 1024 ** 3);
  });

  it("read PREVIEWD_INSTALL_SHARING and PREVIEWD_CACHE_MAX_BYTES, in bytes or with a binary unit", () => {
    const env = { PREVIEWD_INSTALL_SHARING: "full-copies", PREVIEWD_CACHE_MAX_BYTES: "20G" };
    expect(loadConfig({}, env)).toMatchObject({
      installSharing: "full-copies",
      cacheMaxBytes: 20 * 1024 ** 3,
    });
    expect(loadConfig({}, { PREVIEWD_CACHE_MAX_BYTES: "1048576" }).cacheMaxBytes).toBe(1024 ** 2);
    expect(loadConfig({}, { PREVIEWD_CACHE_MAX_BYTES: "512MiB" }).cacheMaxBytes).toBe(512 * 1024 ** 2);
  });

  it("refuse anything else, naming the variable, the value and what was expected", () => {
    const refused = (env: Record<string, string>) => {
      try {
        loadConfig({}, env);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).errors ?? [];
      }
      throw new Error("accepted");
    };
    expect(refused({ PREVIEWD_CACHE_MAX_BYTES: "lots" })).toEqual([
      {
        path: "PREVIEWD_CACHE_MAX_BYTES",
        message: 'expected a size in bytes, or with K, M, G or T such as 10G (got "lots")',
      },
    ]);
    expect(refused({ PREVIEWD_INSTALL_SHARING: "hardlinks" })[0]?.path).toBe("PREVIEWD_INSTALL_SHARING");
  });
});

describe("the pipeline settings", () => {
  it("default to concurrent builds, one per core, and read PREVIEWD_PIPELINE and PREVIEWD_BUILD_CONCURRENCY", () => {
    expect(loadConfig({}, {})).toMatchObject({ pipeline: "concurrent" });
    expect(loadConfig({}, {}).buildConcurrency).toBeUndefined();
    const env = { PREVIEWD_PIPELINE: "sequential", PREVIEWD_BUILD_CONCURRENCY: "3" };
    expect(loadConfig({}, env)).toMatchObject({ pipeline: "sequential", buildConcurrency: 3 });
  });

  it("refuse anything else, naming the variable", () => {
    let refused: unknown;
    try {
      loadConfig({}, { PREVIEWD_PIPELINE: "parallel", PREVIEWD_BUILD_CONCURRENCY: "0" });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ValidationError);
    const paths = ((refused as ValidationError).errors ?? []).map((e) => e.path);
    expect(paths.sort()).toEqual(["PREVIEWD_BUILD_CONCURRENCY", "PREVIEWD_PIPELINE"]);
  });
});
