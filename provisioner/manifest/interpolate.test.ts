import { describe, expect, it } from "vitest";
import { ManifestError } from "../errors.ts";
import {
  appEnvironment,
  interpolate,
  manifestReferenceErrors,
  parseTemplate,
  type InterpolationValues,
} from "./interpolate.ts";
import { parseManifest } from "./load-manifest.ts";
import { specExampleManifest } from "./spec-example-fixture.ts";

const shape = {
  services: { db: {} },
  apps: { api: { env: {} as Record<string, string> }, "admin-ui": {} },
};

describe("parseTemplate", () => {
  it("splits text and references, trimming spaces inside ${ }", () => {
    expect(parseTemplate("postgres://${ services.db.url }/x")).toEqual({
      parts: [{ text: "postgres://" }, { ref: "services.db.url" }, { text: "/x" }],
    });
  });

  it("treats $${ as a literal ${", () => {
    expect(parseTemplate("a $${env.id} $ b")).toEqual({ parts: [{ text: "a ${env.id} $ b" }] });
  });

  it("rejects an unterminated ${", () => {
    expect(parseTemplate("x ${env.id")).toEqual({
      error: expect.stringContaining('unterminated "${" at character 3'),
    });
  });
});

describe("manifestReferenceErrors", () => {
  it("accepts every documented reference", () => {
    const env = {
      A: "${services.db.url}",
      B: "${apps.admin-ui.url} ${apps.api.internalUrl}",
      C: "${env.id}/${env.ref}/${env.commit}",
      D: "$${not.a.reference}",
    };
    expect(manifestReferenceErrors({ ...shape, apps: { ...shape.apps, api: { env } } })).toEqual([]);
  });

  it("names the bad reference and lists what is allowed", () => {
    const env = { DATABASE_URL: "${services.dbx.url}", X: "${apps.api.bogus}", Y: "${env.id", Z: "${env}" };
    const errors = manifestReferenceErrors({ ...shape, apps: { ...shape.apps, api: { env } } });
    expect(errors.map((e) => e.path)).toEqual([
      "apps.api.env.DATABASE_URL",
      "apps.api.env.X",
      "apps.api.env.Y",
      "apps.api.env.Z",
    ]);
    expect(errors[0]?.message).toBe(
      "unknown reference ${services.dbx.url} (expected one of: ${services.db.url}, ${services.db.host}, " +
        "${services.db.port}, ${apps.api.url}, ${apps.api.internalUrl}, ${apps.api.host}, ${apps.api.port}, " +
        "${apps.admin-ui.url}, ${apps.admin-ui.internalUrl}, ${apps.admin-ui.host}, ${apps.admin-ui.port}, " +
        "${env.id}, ${env.ref}, ${env.commit})",
    );
    expect(errors[2]?.message).toContain("unterminated");
  });
});

describe("interpolate", () => {
  const lookup = (ref: string) => ({ "env.id": "shop-x-1", "services.db.url": "postgres://h/db" })[ref];

  it("replaces references and keeps escaped ones literal", () => {
    expect(interpolate("${services.db.url}?app=${env.id}&t=$${env.id}", lookup)).toBe(
      "postgres://h/db?app=shop-x-1&t=${env.id}",
    );
  });

  it("throws a ManifestError for a reference without a value", () => {
    expect(() => interpolate("${env.ref}", lookup, { path: "apps.api.env.X" })).toThrow(ManifestError);
    expect(() => interpolate("${env.ref}", lookup, { path: "apps.api.env.X" })).toThrow(
      "preview.yaml: apps.api.env.X: no value for reference ${env.ref}",
    );
  });
});

describe("appEnvironment", () => {
  const manifest = parseManifest(
    specExampleManifest.replace("  web: {", "  admin-ui: { start: x }\n  web: {"),
    "preview.yaml",
    "shop",
  );
  const values: InterpolationValues = {
    env: { id: "shop-feature-x-3f2a", ref: "feature/x", commit: "abc123" },
    services: { db: { url: "postgres://u:p@127.0.0.1:5433/shop" } },
    apps: {
      api: { url: "http://api--shop-feature-x-3f2a.localhost:7070", internalUrl: "http://127.0.0.1:41000" },
      web: { url: "http://web--shop-feature-x-3f2a.localhost:7070", internalUrl: "http://127.0.0.1:41001" },
      "admin-ui": {
        url: "http://admin-ui--shop-feature-x-3f2a.localhost:7070",
        internalUrl: "http://127.0.0.1:41002",
      },
    },
    port: 41000,
    flagsUrl: "http://127.0.0.1:7070/v1/environments/shop-feature-x-3f2a/ofrep",
  };

  it("interpolates the app's env and adds PORT and PREVIEW_*", () => {
    expect(appEnvironment(manifest, "api", values)).toEqual({
      HOST: "127.0.0.1",
      DATABASE_URL: "postgres://u:p@127.0.0.1:5433/shop",
      WEB_URL: "http://web--shop-feature-x-3f2a.localhost:7070",
      PORT: "41000",
      PREVIEW_ENV_ID: "shop-feature-x-3f2a",
      PREVIEW_REF: "feature/x",
      PREVIEW_COMMIT: "abc123",
      PREVIEW_FLAGS_URL: "http://127.0.0.1:7070/v1/environments/shop-feature-x-3f2a/ofrep",
      PREVIEW_URL_API: "http://api--shop-feature-x-3f2a.localhost:7070",
      PREVIEW_URL_ADMIN_UI: "http://admin-ui--shop-feature-x-3f2a.localhost:7070",
      PREVIEW_URL_WEB: "http://web--shop-feature-x-3f2a.localhost:7070",
    });
  });

  it("listens on the host its runtime names, unless the manifest's env says otherwise", () => {
    expect(appEnvironment(manifest, "web", { ...values, host: "0.0.0.0" }).HOST).toBe("0.0.0.0");
    const api = manifest.apps.api!;
    const own = { ...manifest, apps: { ...manifest.apps, api: { ...api, env: { HOST: "::1" } } } };
    expect(appEnvironment(own, "api", values).HOST).toBe("::1");
  });

  it("adds PREVIEW_FLAGS_TOKEN only when set", () => {
    expect(appEnvironment(manifest, "web", values)).not.toHaveProperty("PREVIEW_FLAGS_TOKEN");
    expect(appEnvironment(manifest, "web", { ...values, flagsToken: "t0k" }).PREVIEW_FLAGS_TOKEN).toBe("t0k");
  });

  it("lets the reserved variables win over an unvalidated manifest's env", () => {
    const api = manifest.apps.api!;
    const tampered = {
      ...manifest,
      apps: { ...manifest.apps, api: { ...api, env: { PORT: "1", PREVIEW_ENV_ID: "x" } } },
    };
    expect(appEnvironment(tampered, "api", values)).toMatchObject({
      PORT: "41000",
      PREVIEW_ENV_ID: "shop-feature-x-3f2a",
    });
  });

  it("fails loudly when a value is missing", () => {
    expect(() => appEnvironment(manifest, "api", { ...values, services: {} })).toThrow(
      "apps.api.env.DATABASE_URL: no value for reference ${services.db.url}",
    );
  });
});
