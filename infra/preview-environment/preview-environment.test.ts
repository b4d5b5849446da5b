import { describe, expect, it } from "vitest";
import { ManifestError } from "../../provisioner/errors.ts";
import { parseManifest } from "../../provisioner/manifest/load-manifest.ts";
import { runUnderMocks } from "./mocked-program.ts";
import { planPreviewEnvironment } from "./plan.ts";
import { manifestOf } from "./planned-object.ts";
import { PreviewEnvironment } from "./preview-environment.ts";
import type { PreviewEnvironmentArgs } from "./preview-environment-args.ts";

const manifest = parseManifest(
  `
version: 1
services: { db: { type: postgres } }
apps:
  api:
    release: npm run migrate
    env: { DATABASE_URL: "\${services.db.url}" }
    depends_on: [db]
    docker: { dockerfile: Dockerfile, port: 3000 }
`,
  "preview.yaml",
  "shop",
);
const args: PreviewEnvironmentArgs = {
  manifest,
  environment: {
    id: "shop-main-0a1b",
    ref: "main",
    commit: "a".repeat(40),
    baseDomain: "localhost",
    flagsUrl: "http://x",
  },
  images: { api: "reg/shop-api:a" },
  settings: {},
};

const secretSignature = "4dabf18193072939515e22adb298388d";
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  if (secretSignature in record) return plain(record.value);
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, plain(v)]));
}

describe("the PreviewEnvironment component under Pulumi's mocks", () => {
  it("registers every planned object as its @pulumi/kubernetes resource, with exactly the planned fields", async () => {
    const run = await runUnderMocks(async () => new PreviewEnvironment("env", args).outputs);
    const plan = planPreviewEnvironment(args);
    expect(run.outputs).toEqual(plan.outputs);
    const registered = run.resources.map((r) => ({
      type: r.type,
      object: plain(r.inputs) as Record<string, unknown>,
    }));
    expect(registered.map((r) => r.type).sort()).toEqual(
      plan.objects
        .map(
          (o) => `kubernetes:${o.apiVersion.includes("/") ? o.apiVersion : `core/${o.apiVersion}`}:${o.kind}`,
        )
        .sort(),
    );
    const byKey = new Map(
      registered.map((r) => [
        `${String(r.object.kind)}/${(r.object.metadata as { name: string }).name}`,
        r.object,
      ]),
    );
    for (const object of plan.objects) expect(byKey.get(object.key)).toEqual(manifestOf(object));
  });

  it("registers nothing when the input is bad", async () => {
    const broken = {
      ...args,
      manifest: parseManifest("version: 1\napps: { api: {} }\n", "preview.yaml", "x"),
    };
    const run = await runUnderMocks(async () => {
      expect(() => new PreviewEnvironment("env", broken)).toThrow(ManifestError);
      return {};
    });
    expect(run.resources.filter((r) => r.type.startsWith("kubernetes:"))).toEqual([]);
  });
});
