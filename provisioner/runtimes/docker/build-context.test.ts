import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildContext } from "./build-context.ts";
import { tarStream, type TarEntry } from "./tar-pack.ts";

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

  describe("with links leading out of the monorepo", () => {
    let host: string;
    const secret = "host secret: never in an image";
    beforeEach(async () => {
      host = await mkdtemp(join(tmpdir(), "previewd-host-"));
      await writeFile(join(host, "secret.txt"), secret);
    });
    afterEach(async () => {
      await rm(host, { recursive: true, force: true });
    });

    async function archived(entries: TarEntry[]): Promise<string> {
      const chunks: Buffer[] = [];
      for await (const chunk of tarStream(entries)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("latin1");
    }

    it("packs a link inside the context as a link, never the file it points to", async () => {
      const root = await files({ Dockerfile: "FROM x\n", "app.js": "x" });
      await symlink(join(host, "secret.txt"), join(root, "config.txt"));
      await symlink(host, join(root, "host-folder"));
      const context = await buildContext({
        rootDir: root,
        contextDir: root,
        dockerfilePath: join(root, "Dockerfile"),
      });
      expect(context.entries).toContainEqual({
        name: "config.txt",
        type: "symlink",
        target: join(host, "secret.txt"),
      });
      expect(context.entries).toContainEqual({ name: "host-folder", type: "symlink", target: host });
      const tar = await archived(context.entries);
      expect(tar).toContain("app.js");
      expect(tar).not.toContain(secret);
    });

    it("refuses a Dockerfile that is a link out of the monorepo, and a context that is one", async () => {
      const root = await files({ "apps/api/app.js": "x", Dockerfile: "FROM x\n" });
      await writeFile(join(host, "Dockerfile"), "FROM x\n");
      await symlink(join(host, "Dockerfile"), join(root, "apps/api/Dockerfile"));
      await symlink(host, join(root, "apps/host"));
      await expect(
        buildContext({
          rootDir: root,
          contextDir: join(root, "apps/api"),
          dockerfilePath: join(root, "apps/api/Dockerfile"),
        }),
      ).rejects.toThrow(
        new RegExp(
          `^Dockerfile apps/api/Dockerfile resolves outside the monorepo \\(apps/api/Dockerfile -> ${host}/Dockerfile\\)$`,
        ),
      );
      await expect(
        buildContext({
          rootDir: root,
          contextDir: join(root, "apps/host"),
          dockerfilePath: join(root, "Dockerfile"),
        }),
      ).rejects.toThrow(/^build context apps\/host resolves outside the monorepo/);
    });

    it("sends file content read without following a link put in the file's place", async () => {
      const root = await files({ Dockerfile: "FROM x\n", "app.js": "x" });
      const context = await buildContext({
        rootDir: root,
        contextDir: root,
        dockerfilePath: join(root, "Dockerfile"),
      });
      // The walk saw a regular file; by the time the archive is written it is a link to a host file.
      await rm(join(root, "app.js"));
      await symlink(join(host, "secret.txt"), join(root, "app.js"));
      await expect(archived(context.entries)).rejects.toThrow(/ELOOP/);
    });
  });
});
