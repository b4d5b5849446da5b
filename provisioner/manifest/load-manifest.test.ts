import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManifestError } from "../errors.ts";
import { loadManifest, parseManifest } from "./load-manifest.ts";
import { specExampleManifest } from "./spec-example-fixture.ts";

function manifestError(text: string, folderName = "shop"): ManifestError {
  try {
    parseManifest(text, "preview.yaml", folderName);
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
  throw new Error("expected a ManifestError");
}

const minimal = "version: 1\napps:\n  web: { start: node server.js }\n";

describe("parseManifest", () => {
  it("accepts the SPEC example and applies defaults", () => {
    const manifest = parseManifest(specExampleManifest, "preview.yaml", "whatever");
    expect(manifest.name).toBe("shop");
    expect(manifest.install).toBe("npm ci");
    expect(manifest.services.db).toEqual({ type: "postgres", image: "postgres:16", database: "shop" });
    expect(manifest.apps.api).toMatchObject({
      path: "apps/api",
      health: "/healthz",
      env: { DATABASE_URL: "${services.db.url}", WEB_URL: "${apps.web.url}" },
      depends_on: ["db"],
      docker: { dockerfile: "apps/api/Dockerfile", context: ".", port: 3000 },
    });
    expect(manifest.apps.web).toEqual({
      path: "apps/web",
      start: "node server.js",
      health: "/",
      env: {},
      depends_on: [],
    });
    expect(manifest.flags["new-checkout"]).toEqual({
      type: "boolean",
      default: false,
      description: "Route /checkout to the new flow",
    });
    expect(manifest.flags["page-size"]).toEqual({ type: "number", default: 20 });
    expect(manifest.seed).toEqual({ scenarios: "seed-scenarios", default: "demo" });
  });

  it("defaults name to a slug of the folder name", () => {
    expect(parseManifest(minimal, "preview.yaml", "My Shop_2").name).toBe("my-shop-2");
    expect(parseManifest(minimal, "preview.yaml", "2024-Café").name).toBe("cafe");
  });

  it("asks for an explicit name when the folder name gives none", () => {
    const error = manifestError(minimal, "2024");
    expect(error.errors).toEqual([
      { path: "name", message: expect.stringContaining('the folder name "2024"') },
    ]);
  });

  it("names file, path, expectation and what was found", () => {
    const error = manifestError("version: 1\napps:\n  api: { start: node s.js, health: healthz }\n");
    expect(error.message).toBe(
      'preview.yaml: apps.api.health: expected a path starting with "/" (got "healthz")',
    );
    expect(error.file).toBe("preview.yaml");
    expect(error.status).toBe(422);
  });

  it("reports unknown fields and lists the known ones", () => {
    const error = manifestError("version: 1\nfoo: 1\napps:\n  api: { start: x, helth: /h }\n");
    expect(error.errors).toContainEqual({
      path: "apps.api.helth",
      message:
        "unknown field (expected one of: path, build, build_env, release, start, health, env, depends_on, docker)",
    });
    expect(error.errors).toContainEqual({
      path: "foo",
      message: "unknown field (expected one of: version, name, env, install, services, apps, flags, seed)",
    });
  });

  it("reports every problem at once, schema and cross-references together", () => {
    const error = manifestError(
      [
        "version: 2",
        "services:",
        "  db: { type: mysql }",
        "apps:",
        "  Api: { start: x }",
        "  web:",
        "    start: ''",
        "    env: { PORT_HINT: 3000, DB: '${services.dbx.url}' }",
        "    depends_on: [nope]",
        "    docker: { port: 0 }",
        "flags:",
        "  a: { type: bool, default: true }",
        "  b: { type: string, default: 1 }",
        "  c: { default: 1 }",
        "seed: { scenarios: ../x }",
      ].join("\n"),
    );
    expect(error.errors).toEqual(
      expect.arrayContaining([
        { path: "version", message: "expected 1 (got 2)" },
        { path: "services.db.type", message: 'expected one of "postgres", "redis", "command" (got "mysql")' },
        { path: "apps.Api", message: expect.stringMatching(/^expected a lowercase name .* \(got "Api"\)$/) },
        { path: "apps.web.start", message: 'expected a non-empty shell command (got "")' },
        {
          path: "apps.web.env.PORT_HINT",
          message: "expected a string (got 3000, a number; quote it if a string is meant)",
        },
        { path: "apps.web.docker.port", message: "expected a number >= 1 (got 0)" },
        { path: "flags.a.type", message: 'expected one of "boolean", "string", "number" (got "bool")' },
        { path: "flags.b.default", message: expect.stringContaining("expected a string (got 1") },
        { path: "flags.c.type", message: 'expected one of "boolean", "string", "number" (missing)' },
        { path: "seed.scenarios", message: expect.stringContaining('without ".." (got "../x")') },
        {
          path: "apps.web.env.DB",
          message: expect.stringContaining("unknown reference ${services.dbx.url}"),
        },
        { path: "apps.web.depends_on[0]", message: expect.stringContaining('unknown app or service "nope"') },
      ]),
    );
    expect(error.message.split("\n").every((line) => line.startsWith("preview.yaml: "))).toBe(true);
  });

  it("explains a custom rule with what was found", () => {
    const error = manifestError("version: 1\napps:\n  api: { start: x, docker: { port: 3000 } }\n");
    expect(error.errors).toEqual([
      {
        path: "apps.api.docker",
        message: "expected exactly one of dockerfile or image (got a mapping with port)",
      },
    ]);
  });

  it("reports missing required fields", () => {
    expect(manifestError("version: 1\n").errors).toEqual([
      { path: "apps", message: "expected a mapping (missing)" },
    ]);
    expect(manifestError("version: 1\napps: {}\n").errors).toEqual([
      { path: "apps", message: "expected at least one app (got an empty mapping)" },
    ]);
  });

  it("reports a document that is not a mapping", () => {
    expect(manifestError("- 1\n").message).toBe("preview.yaml: expected a mapping (got a list)");
    expect(manifestError("# nothing\n").message).toBe(
      "preview.yaml: expected a mapping with version and apps (got an empty file)",
    );
  });

  it("reports YAML syntax errors with line and column", () => {
    const error = manifestError("version: 1\napps:\n  api: start: x\n");
    expect(error.errors).toEqual([
      { path: "", message: expect.stringMatching(/^invalid YAML at line 3, column 8: /) },
    ]);
    expect(manifestError("version: 1\napps: { api: 'x }\n").message).toMatch(/: Missing closing 'quote/);
    expect(manifestError("a: 1\na: 2\n").message).toMatch(/line 2, column 1: Map keys must be unique/);
    expect(manifestError("a: *nope\n").message).toMatch(/^preview\.yaml: invalid YAML: Unresolved alias/);
  });

  it("accepts YAML anchors and merge keys", () => {
    const text =
      "version: 1\nx-common: &common { start: node s.js }\napps:\n  web: { <<: *common, path: web }\n";
    // The anchor holder is itself an unknown field; the merge into apps.web works.
    expect(manifestError(text).errors).toEqual([
      { path: "x-common", message: expect.stringMatching(/^unknown field/) },
    ]);
  });

  it("rejects env names previewd reserves", () => {
    const error = manifestError(
      "version: 1\napps:\n  web: { start: x, env: { PORT: '1', PREVIEW_URL_WEB: x, OK: y } }\n",
    );
    expect((error.errors ?? []).map((e) => e.path)).toEqual([
      "apps.web.env.PORT",
      "apps.web.env.PREVIEW_URL_WEB",
    ]);
    expect(error.errors?.[0]?.message).toContain("previewd sets these");
  });

  it("rejects names that would collide", () => {
    const error = manifestError(
      "version: 1\nservices:\n  db: { type: postgres }\napps:\n  db: { start: x }\n  browser: { start: x }\n  a--b: { start: x }\n  web-: { start: x }\n",
    );
    expect((error.errors ?? []).map((e) => e.path).sort()).toEqual([
      "apps.a--b",
      "apps.browser",
      "apps.web-",
      "services.db",
    ]);
  });

  it("reports dependency cycles", () => {
    const error = manifestError(
      "version: 1\napps:\n  api: { start: x, depends_on: [web] }\n  web: { start: x, depends_on: [api] }\n",
    );
    expect(error.errors).toEqual([
      {
        path: "apps.api.depends_on[0]",
        message: expect.stringContaining("dependency cycle api -> web -> api"),
      },
    ]);
  });
});

describe("loadManifest", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "previewd-manifest-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("reads preview.yaml and names the manifest after the folder", async () => {
    const dir = join(root, "Storefront");
    await mkdir(dir);
    await writeFile(join(dir, "preview.yaml"), minimal);
    expect((await loadManifest(dir)).name).toBe("storefront");
    expect((await loadManifest(dir, { folderName: "shop" })).name).toBe("shop");
  });

  it("says when the file is missing", async () => {
    const dir = join(root, "empty");
    await mkdir(dir);
    const error = await loadManifest(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).message).toMatch(
      /^preview\.yaml: file is missing: expected preview\.yaml at/,
    );
  });
});
