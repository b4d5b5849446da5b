/**
 * An example monorepo of examples/ as its own small git repository (a GitFixture): the committed
 * example (HEAD), so suites and benchmarks run what is committed, commit branches of their own on
 * it, and never touch the shared working tree or anyone's half-finished changes.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createGitRepo, type GitFixture } from "./git-fixture.ts";
import { repoRoot } from "./serve-process.ts";

/** The files of `examples/<name>` at HEAD, path → content. */
export function committedExample(name: string): Record<string, string> {
  const tree = `HEAD:examples/${name}`;
  const files = execFileSync("git", ["-C", repoRoot, "ls-tree", "-r", "--name-only", "-z", tree], {
    encoding: "utf8",
  })
    .split("\0")
    .filter(Boolean);
  const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-example-"));
  try {
    const archive = execFileSync("git", ["-C", repoRoot, "archive", "--format=tar", tree], {
      maxBuffer: 256 * 1024 * 1024,
    });
    execFileSync("tar", ["-x", "-C", dir], { input: archive });
    return Object.fromEntries(files.map((file) => [file, readFileSync(path.join(dir, file), "utf8")]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function createExampleRepo(name: string): Promise<GitFixture> {
  return createGitRepo(committedExample(name));
}
