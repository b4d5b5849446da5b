import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildContext } from "./build-context.ts";

let dir: string;

async function files(entries: Record<string, string>): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), "previewd-context-"));
  for (const [name, content] of Object.entries(entries)) {
    await mkdir(join(dir, name, ".."), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("buildContext", () => {
  it("sends what .dockerignore keeps, exceptions included", async () => {
    const root = await files({
      ".dockerignore": "**/node_modules\n**/dist\n!apps/keep/dist\n",
      Dockerfile: "FROM x\n",
      "apps/a/index.js": "a",
      "apps/a/node_modules/x/index.js": "x",
      "apps/a/dist/out.js": "out",
      "apps/keep/dist/out.js": "kept",
    });
    const context = await buildContext({ contextDir: root, dockerfilePath: join(root, "Dockerfile") });
    const names = context.entries.filter((e) => e.type === "file").map((e) => e.name);
    expect(names.sort()).toEqual([".dockerignore", "Dockerfile", "apps/a/index.js", "apps/keep/dist/out.js"]);
    expect(context.dockerfile).toBe("Dockerfile");
  });

  it("hashes only the files it is told count, plus the Dockerfile and build args", async () => {
    const root = await files({ Dockerfile: "FROM x\n", "apps/a/a.js": "1", "apps/b/b.js": "1" });
    const onlyA = (file: string) => !file.startsWith("apps/b/");
    const first = await buildContext({
      contextDir: root,
      dockerfilePath: join(root, "Dockerfile"),
      hashes: onlyA,
    });
    await writeFile(join(root, "apps/b/b.js"), "2");
    const otherChanged = await buildContext({
      contextDir: root,
      dockerfilePath: join(root, "Dockerfile"),
      hashes: onlyA,
    });
    expect(otherChanged.hash).toBe(first.hash);
    await writeFile(join(root, "apps/a/a.js"), "2");
    const ownChanged = await buildContext({
      contextDir: root,
      dockerfilePath: join(root, "Dockerfile"),
      hashes: onlyA,
    });
    expect(ownChanged.hash).not.toBe(first.hash);
    const withArgs = await buildContext({
      contextDir: root,
      dockerfilePath: join(root, "Dockerfile"),
      hashes: onlyA,
      buildArgs: { A: "1" },
    });
    expect(withArgs.hash).not.toBe(ownChanged.hash);
  });

  it("adds a Dockerfile from outside the context under its own name", async () => {
    const root = await files({ "ctx/app.js": "x", "docker/Dockerfile": "FROM x\n" });
    const context = await buildContext({
      contextDir: join(root, "ctx"),
      dockerfilePath: join(root, "docker/Dockerfile"),
    });
    expect(context.dockerfile).toBe(".previewd.Dockerfile");
    expect(context.entries.map((e) => e.name)).toContain(".previewd.Dockerfile");
  });
});
