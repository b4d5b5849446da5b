import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RuntimeUnavailableError } from "../../errors.ts";
import { ensurePassphraseFile } from "./stack-passphrase.ts";

describe("the stacks' passphrase file", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it("is made once, random, readable by its owner only, and never replaced", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "previewd-passphrase-"));
    dirs.push(dataDir);
    const [file, again] = await Promise.all([ensurePassphraseFile(dataDir), ensurePassphraseFile(dataDir)]);
    expect(again).toBe(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const secret = await readFile(file, "utf8");
    expect(secret.length).toBeGreaterThanOrEqual(40);
    await ensurePassphraseFile(dataDir);
    expect(await readFile(file, "utf8")).toBe(secret);
  });

  it("refuses an empty one rather than encrypting with nothing", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "previewd-passphrase-"));
    dirs.push(dataDir);
    await writeFile(path.join(dataDir, "pulumi-passphrase"), "", { mode: 0o644 });
    await expect(ensurePassphraseFile(dataDir)).rejects.toBeInstanceOf(RuntimeUnavailableError);
    expect((await stat(path.join(dataDir, "pulumi-passphrase"))).mode & 0o777).toBe(0o600);
  });
});
