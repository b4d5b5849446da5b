/**
 * The manifest fields for real monorepos (SPEC "More of the manifest"): top-level env, build_env,
 * release, health with a timeout, redis and command services, and the URL parts interpolation gives.
 */
import { describe, expect, it } from "vitest";
import { ManifestError } from "../errors.ts";
import {
  appEnvironment,
  buildEnvironment,
  serviceEnvironment,
  sharedEnvironment,
  type InterpolationValues,
} from "./interpolate.ts";
import { parseManifest } from "./load-manifest.ts";
import { appHealth } from "./manifest-schema.ts";

const moreOfTheManifest = `version: 1
env:
  NEXT_TELEMETRY_DISABLED: "1"
  BUILD_LABEL: preview-\${env.id}
install: pnpm install --frozen-lockfile
services:
  db: { type: postgres, database: store }
  cache: { type: redis }
  payments:
    type: command
    path: twins/payments
    run: node server.js
    health: /healthz
    env:
      PUBLIC_URL: \${apps.web.url}
apps:
  api:
    path: apps/api
    build: pnpm build
    release: pnpm db:migrate
    start: node dist/server.js
    health: { path: /healthz, timeout: 180 }
    env:
      DB_HOST: \${services.db.host}
      DB_PORT: \${services.db.port}
      DB_USER: \${services.db.user}
      DB_PASSWORD: \${services.db.password}
      DB_NAME: \${services.db.database}
      REDIS_URL: \${services.cache.url}
      REDIS_PORT: \${services.cache.port}
      PAYMENTS_URL: \${services.payments.url}
      PAYMENTS_HOST: \${services.payments.host}
    depends_on: [db, cache, payments]
  web:
    path: apps/web
    build: pnpm build
    build_env:
      VITE_API_URL: \${apps.api.url}
      VITE_API_HOST: \${apps.api.host}
      VITE_API_PORT: \${apps.api.port}
    start: node server.js
`;

function manifestError(text: string): ManifestError {
  try {
    parseManifest(text, "preview.yaml", "store");
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
  throw new Error("expected a ManifestError");
}

const values: InterpolationValues = {
  env: { id: "store-main-1a2b", ref: "main", commit: "c0ffee" },
  services: {
    db: { url: "postgres://preview:s%40cret@127.0.0.1:5433/store" },
    cache: { url: "redis://127.0.0.1:6380" },
    payments: { url: "http://127.0.0.1:41500" },
  },
  apps: {
    api: { url: "http://api--store-main-1a2b.localhost:7070", internalUrl: "http://127.0.0.1:41000" },
    web: { url: "http://web--store-main-1a2b.localhost", internalUrl: "http://127.0.0.1:41001" },
  },
  port: 41000,
  flagsUrl: "http://127.0.0.1:7070/v1/environments/store-main-1a2b/ofrep",
};

describe("the manifest for real monorepos", () => {
  const manifest = parseManifest(moreOfTheManifest, "preview.yaml", "store");

  it("accepts every new field", () => {
    expect(manifest.env).toEqual({ NEXT_TELEMETRY_DISABLED: "1", BUILD_LABEL: "preview-${env.id}" });
    expect(manifest.services.cache).toEqual({ type: "redis" });
    expect(manifest.services.payments).toEqual({
      type: "command",
      path: "twins/payments",
      run: "node server.js",
      health: "/healthz",
      env: { PUBLIC_URL: "${apps.web.url}" },
    });
    expect(manifest.apps.api?.release).toBe("pnpm db:migrate");
    expect(appHealth(manifest.apps.api)).toEqual({ path: "/healthz", timeoutMs: 180_000 });
    expect(appHealth(manifest.apps.web)).toEqual({ path: "/" });
  });

  it("gives every command the top-level env, interpolated", () => {
    expect(sharedEnvironment(manifest, values)).toEqual({
      NEXT_TELEMETRY_DISABLED: "1",
      BUILD_LABEL: "preview-store-main-1a2b",
    });
    expect(appEnvironment(manifest, "web", { ...values, port: 41001 })).toMatchObject({
      NEXT_TELEMETRY_DISABLED: "1",
      PORT: "41001",
    });
  });

  it("resolves the parts of service and app URLs", () => {
    expect(appEnvironment(manifest, "api", values)).toMatchObject({
      DB_HOST: "127.0.0.1",
      DB_PORT: "5433",
      DB_USER: "preview",
      DB_PASSWORD: "s@cret",
      DB_NAME: "store",
      REDIS_URL: "redis://127.0.0.1:6380",
      REDIS_PORT: "6380",
      PAYMENTS_URL: "http://127.0.0.1:41500",
      PAYMENTS_HOST: "127.0.0.1",
    });
  });

  it("builds with the top-level env and build_env, the port of a URL without one being the scheme's", () => {
    expect(buildEnvironment(manifest, "web", values)).toEqual({
      NEXT_TELEMETRY_DISABLED: "1",
      BUILD_LABEL: "preview-store-main-1a2b",
      VITE_API_URL: "http://api--store-main-1a2b.localhost:7070",
      VITE_API_HOST: "api--store-main-1a2b.localhost",
      VITE_API_PORT: "7070",
    });
    const apps = {
      ...values.apps,
      api: { url: "https://api--store-main-1a2b.example.dev", internalUrl: "" },
    };
    expect(buildEnvironment(manifest, "web", { ...values, apps }).VITE_API_PORT).toBe("443");
  });

  it("runs a command service with PORT, HOST and its own env", () => {
    expect(serviceEnvironment(manifest, "payments", { ...values, port: 41500 })).toEqual({
      HOST: "127.0.0.1",
      NEXT_TELEMETRY_DISABLED: "1",
      BUILD_LABEL: "preview-store-main-1a2b",
      PUBLIC_URL: "http://web--store-main-1a2b.localhost",
      PORT: "41500",
      PREVIEW_ENV_ID: "store-main-1a2b",
      PREVIEW_REF: "main",
      PREVIEW_COMMIT: "c0ffee",
    });
  });

  it("refuses references a place cannot have, naming what it may use", () => {
    const text = moreOfTheManifest
      .replace("BUILD_LABEL: preview-${env.id}", "BUILD_LABEL: ${apps.api.url}")
      .replace("VITE_API_PORT: ${apps.api.port}", "VITE_DB: ${services.db.url}")
      .replace("REDIS_PORT: ${services.cache.port}", "REDIS_USER: ${services.cache.user}")
      .replace("PUBLIC_URL: ${apps.web.url}", "PUBLIC_URL: ${apps.web.internalUrl}");
    const errors = manifestError(text).errors ?? [];
    expect(errors.map((e) => e.path).sort()).toEqual([
      "apps.api.env.REDIS_USER",
      "apps.web.build_env.VITE_DB",
      "env.BUILD_LABEL",
      "services.payments.env.PUBLIC_URL",
    ]);
    const message = (path: string) => errors.find((e) => e.path === path)?.message;
    const allowed = (path: string) => message(path)?.split("expected one of")[1];
    expect(message("env.BUILD_LABEL")).toBe(
      "unknown reference ${apps.api.url} (expected one of: ${env.id}, ${env.ref}, ${env.commit})",
    );
    expect(allowed("apps.api.env.REDIS_USER")).toContain("${services.cache.port}");
    expect(allowed("apps.api.env.REDIS_USER")).not.toContain("${services.cache.user}");
    expect(allowed("apps.web.build_env.VITE_DB")).toContain("${apps.api.url}, ${apps.api.host}");
    expect(allowed("apps.web.build_env.VITE_DB")).not.toContain("services.");
  });

  it("refuses reserved names in every env map", () => {
    const text = moreOfTheManifest
      .replace('NEXT_TELEMETRY_DISABLED: "1"', 'PORT: "1"')
      .replace("VITE_API_PORT: ${apps.api.port}", "PREVIEW_X: y");
    expect((manifestError(text).errors ?? []).map((e) => e.path).sort()).toEqual([
      "apps.web.build_env.PREVIEW_X",
      "env.PORT",
    ]);
  });

  it("says what a bad health, service or release is", () => {
    const text = moreOfTheManifest
      .replace("health: { path: /healthz, timeout: 180 }", "health: { path: healthz, timeout: -1 }")
      .replace("release: pnpm db:migrate", 'release: ""')
      .replace("cache: { type: redis }", "cache: { type: redis, database: x }");
    const errors = manifestError(text).errors ?? [];
    expect(errors).toEqual(
      expect.arrayContaining([
        { path: "apps.api.release", message: 'expected a non-empty shell command (got "")' },
        { path: "services.cache.database", message: "unknown field (expected one of: type, image)" },
      ]),
    );
    expect(errors.some((e) => e.path.startsWith("apps.api.health"))).toBe(true);
  });
});
