import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SourceError } from "../errors.ts";
import { createGitRepo } from "../../test/helpers/git-fixture.ts";
import { gitEnvironment, redactCredentials, runGit } from "./git.ts";

describe("runGit", () => {
  const cleanup: string[] = [];
  afterAll(() => Promise.all(cleanup.map((dir) => rm(dir, { recursive: true, force: true }))));

  it("runs git with an argument array and returns its output", async () => {
    const repo = await createGitRepo({ "a.txt": "hello" });
    cleanup.push(repo.dir);
    const { stdout } = await runGit(["rev-parse", "HEAD"], { cwd: repo.dir });
    expect(stdout.trim()).toBe(repo.head);
  });

  it("feeds input to stdin", async () => {
    const repo = await createGitRepo({ "a.txt": "hello" });
    cleanup.push(repo.dir);
    const { stdout } = await runGit(["cat-file", "--batch"], {
      cwd: repo.dir,
      input: `${repo.head}:a.txt\n`,
    });
    expect(stdout).toMatch(/^[0-9a-f]{40} blob 5\nhello\n$/);
  });

  it("throws SourceError carrying git's stderr", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "previewd-nogit-"));
    cleanup.push(dir);
    const error = await runGit(["rev-parse", "HEAD"], { cwd: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toMatch(/^git rev-parse failed: fatal: not a git repository/);
  });

  it("refuses the ext:: transport even if validation were bypassed", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "previewd-ext-"));
    cleanup.push(dir);
    const marker = path.join(dir, "pwned");
    const error = await runGit(["clone", "--", `ext::sh -c touch% ${marker}`, path.join(dir, "clone")]).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SourceError);
    expect(existsSync(marker)).toBe(false);
  });

  it("never runs the repository's hooks", async () => {
    const repo = await createGitRepo({ "a.txt": "1" });
    cleanup.push(repo.dir);
    const marker = path.join(repo.dir, "hook-ran");
    await repo.git("config", "core.hooksPath", ".hooks");
    await mkdir(path.join(repo.dir, ".hooks"));
    await writeFile(path.join(repo.dir, ".hooks/post-checkout"), `#!/bin/sh\ntouch ${marker}\n`);
    await chmod(path.join(repo.dir, ".hooks/post-checkout"), 0o755);
    // Plain git runs it…
    await repo.git("checkout", "-q", "--detach", repo.head);
    expect(existsSync(marker)).toBe(true);
    await rm(marker);
    // …runGit does not.
    await runGit(["checkout", "-q", "--detach", repo.head], { cwd: repo.dir });
    expect(existsSync(marker)).toBe(false);
  });

  it("aborts with the signal", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(runGit(["version"], { signal: controller.signal })).rejects.toThrow(/aborted/);
  });

  it("hardens the environment", () => {
    const env = gitEnvironment({ GIT_DIR: "/elsewhere", GIT_ASKPASS: "/bin/askpass", PATH: "/bin" });
    expect(env.GIT_DIR).toBeUndefined();
    expect(env.GIT_ASKPASS).toBeUndefined();
    expect(env).toMatchObject({
      GIT_TERMINAL_PROMPT: "0",
      GIT_ALLOW_PROTOCOL: "file:https:http:ssh",
      PATH: "/bin",
    });
  });

  it("redacts credentials in URLs", () => {
    expect(redactCredentials("fatal: unable to access 'https://bot:s3cret@example.com/x.git/'")).toBe(
      "fatal: unable to access 'https://bot:***@example.com/x.git/'",
    );
  });
});
