/**
 * Real corepack against the npm registry, into a temporary COREPACK_HOME. A registry whose
 * metadata lacks npm's signatures (this host's does) and a signing key corepack does not trust
 * fail the same way: previewd fetches again without the signature check and says so once. A hash
 * in `packageManager` is checked instead of signatures, always.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ProvisionError } from "../../errors.ts";
import { corepackVariables, preparePackageManager, writeShims, type CorepackPlace } from "./corepack.ts";
import { parsePinned } from "./package-manager.ts";

const run = promisify(execFile);
const version = "10.34.9";
/** The sha512 of pnpm@10.34.9's tarball, as `packageManager` carries it. */
const sha512 =
  "f49b5a8ea0fdedb44bb3c0c1d6575092a53c2950d95b7ad15df11f17974877a2de3a01c07e934e9b28ce716e51c09a94962c7306d09be2e1e4b18a8c8762fd32";

function project(packageJson: object): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-corepack-project-"));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify(packageJson));
  return dir;
}

function place(): CorepackPlace {
  const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-corepack-"));
  return { home: path.join(dir, "home"), bin: path.join(dir, "bin") };
}

/** A signing key corepack will not find among the registry's signatures. */
const untrustedKeys = JSON.stringify({ npm: [{ keyid: "SHA256:previewd-test", key: "none" }] });
let saved: string | undefined;
beforeEach(() => {
  saved = process.env.COREPACK_INTEGRITY_KEYS;
  process.env.COREPACK_INTEGRITY_KEYS = untrustedKeys;
});
afterEach(() => {
  if (saved === undefined) delete process.env.COREPACK_INTEGRITY_KEYS;
  else process.env.COREPACK_INTEGRITY_KEYS = saved;
});

describe("preparePackageManager", () => {
  it("fetches the pinned pnpm without the failing signature check, says so once, and the shims run it", async () => {
    const where = place();
    const dir = project({ name: "x", packageManager: `pnpm@${version}` });
    const pinned = parsePinned(`pnpm@${version}`)!;
    const reports: string[] = [];
    await preparePackageManager(dir, pinned, (m) => reports.push(m), where);
    await preparePackageManager(dir, pinned, (m) => reports.push(m), where);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(
      /^corepack could not verify pnpm@10\.34\.9's npm signature against the registry's/,
    );
    expect(reports[0]).toContain("fetched it with COREPACK_INTEGRITY_KEYS=0 instead");
    expect(reports[0]).toContain(`"packageManager" has no hash, so nothing else checked the download`);

    const env = { ...process.env, ...corepackVariables(process.env.PATH, where) };
    delete env.COREPACK_INTEGRITY_KEYS; // What a child gets: the version is there, nothing to check.
    const { stdout } = await run("pnpm", ["--version"], { cwd: dir, env });
    expect(stdout.trim()).toBe(version);
    // From a workspace package's folder too: the nearest package.json that pins one decides.
    mkdirSync(path.join(dir, "packages", "a"), { recursive: true });
    writeFileSync(path.join(dir, "packages", "a", "package.json"), JSON.stringify({ name: "a" }));
    const nested = await run("pnpm", ["--version"], { cwd: path.join(dir, "packages", "a"), env });
    expect(nested.stdout.trim()).toBe(version);
  });

  it("with a hash in packageManager, corepack checks that instead of signatures: no report", async () => {
    const spec = `pnpm@${version}+sha512.${sha512}`;
    const reports: string[] = [];
    await preparePackageManager(
      project({ name: "x", packageManager: spec }),
      parsePinned(spec)!,
      (m) => reports.push(m),
      place(),
    );
    expect(reports).toEqual([]);
  });

  it("a wrong hash fails, naming the spec", async () => {
    const wrong = `pnpm@${version}+sha512.${"0".repeat(128)}`;
    const dir = project({ name: "x", packageManager: wrong });
    const reports: string[] = [];
    const failure = await preparePackageManager(
      dir,
      parsePinned(wrong)!,
      (m) => reports.push(m),
      place(),
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ProvisionError);
    expect((failure as ProvisionError).message).toMatch(
      /^corepack could not fetch pnpm@10\.34\.9\+sha512\.0+ \(package\.json "packageManager"\): .*Mismatch hashes/,
    );
    expect(reports).toEqual([]);
  });
});

describe("the pnpm and yarn shims", () => {
  it("without packageManager run the one on PATH, and say so when there is none", async () => {
    const where = place();
    const dir = project({ name: "x" });
    await writeShims(where);
    const tools = mkdtempSync(path.join(os.tmpdir(), "previewd-path-"));
    // A pnpm on PATH, written executable as an installer writes it.
    writeFileSync(path.join(tools, "pnpm"), "#!/bin/sh\necho pnpm from PATH\n", { mode: 0o755 });
    const withTool = corepackVariables(`${tools}:/usr/bin:/bin`, where);
    const found = await run("pnpm", ["--version"], { cwd: dir, env: withTool });
    expect(found.stdout.trim()).toBe("pnpm from PATH");

    const without = corepackVariables("/usr/bin:/bin", where);
    const missing = await run("yarn", ["--version"], { cwd: dir, env: without }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(missing).toMatchObject({ code: 127 });
    expect((missing as { stderr: string }).stderr).toMatch(
      /yarn: not found: no package\.json here pins yarn/,
    );
  });
});
