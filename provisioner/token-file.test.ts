import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";
import { ValidationError } from "./errors.ts";

describe("PREVIEWD_TOKEN_FILE", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "token-file-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("reads the token from the file, trimmed", async () => {
    const file = path.join(dir, "token");
    await writeFile(file, "  s3cret-token\n");
    expect(loadConfig({}, { PREVIEWD_TOKEN_FILE: file }).token).toBe("s3cret-token");
    expect(loadConfig({ tokenFile: file }, {}).token).toBe("s3cret-token");
  });

  const refusal = (env: NodeJS.ProcessEnv): ValidationError => {
    try {
      loadConfig({}, env);
    } catch (error) {
      if (error instanceof ValidationError) return error;
      throw error;
    }
    throw new Error("expected a ValidationError");
  };

  it("refuses a missing or empty file, naming the variable", async () => {
    const missing = refusal({ PREVIEWD_TOKEN_FILE: path.join(dir, "nope") });
    expect(missing.errors?.[0]).toMatchObject({ path: "PREVIEWD_TOKEN_FILE" });
    expect(missing.message).toContain("ENOENT");
    const empty = path.join(dir, "empty");
    await writeFile(empty, " \n");
    expect(refusal({ PREVIEWD_TOKEN_FILE: empty }).message).toContain("empty");
  });

  it("refuses both a token and a token file", async () => {
    const file = path.join(dir, "both");
    await writeFile(file, "a");
    const error = refusal({ PREVIEWD_TOKEN_FILE: file, PREVIEWD_TOKEN: "b" });
    expect(error.errors?.[0]?.message).toContain("not both");
  });
});
