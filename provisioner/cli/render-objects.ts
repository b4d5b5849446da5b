/**
 * The objects of `previewd render`: the kubernetes runtime's Pulumi program run under mocks
 * (infra/preview-environment/mocked-program.ts), each Kubernetes resource's inputs as the API
 * server would get them, in the order `kubectl apply` and Helm create kinds.
 */
import type { Manifest } from "../manifest/manifest-schema.ts";
import { ofrepBaseUrl } from "../flags/ofrep-base-url.ts";
import type { RenderSource } from "./render-source.ts";

export interface RenderObjectsOptions {
  source: RenderSource;
  registry: string;
  baseDomain: string;
  /** previewd's origin as pods reach it: PREVIEW_FLAGS_URL is the environment's OFREP base under it. */
  previewdUrl: string;
  ingressClass?: string;
  storageClass?: string;
  browserImage?: string;
}

const kindOrder = [
  "Namespace",
  "RoleBinding",
  "NetworkPolicy",
  "ResourceQuota",
  "LimitRange",
  "Secret",
  "Service",
  "StatefulSet",
  "Job",
  "Deployment",
  "Ingress",
];

export async function renderObjects(options: RenderObjectsOptions): Promise<Record<string, unknown>[]> {
  const [{ previewProgram }, { runUnderMocks }] = await Promise.all([
    import("../runtimes/kubernetes/preview-program.ts"),
    import("../../infra/preview-environment/mocked-program.ts"),
  ]);
  const { source, registry } = options;
  const run = await runUnderMocks(
    previewProgram({
      manifest: source.manifest,
      environment: {
        id: source.id,
        ref: source.ref,
        commit: source.commit,
        baseDomain: options.baseDomain,
        flagsUrl: ofrepBaseUrl(options.previewdUrl, source.id),
      },
      images: renderImages(source.manifest, registry, source.commit),
      settings: {
        registry,
        ...(options.ingressClass && { ingressClass: options.ingressClass }),
        ...(options.storageClass && { storageClass: options.storageClass }),
        ...(options.browserImage && { browserImage: options.browserImage }),
      },
    }),
  );
  const objects = run.resources
    .filter((resource) => resource.type.startsWith("kubernetes:"))
    .map((resource) => revealSecrets(resource.inputs) as Record<string, unknown>);
  return objects.sort((a, b) => rank(a) - rank(b) || nameOf(a).localeCompare(nameOf(b)));
}

/** `<registry>/<manifest-name>-<name>:<commit>` for every app and `command` service built from a Dockerfile. */
export function renderImages(manifest: Manifest, registry: string, commit: string): Record<string, string> {
  const built = [
    ...Object.entries(manifest.apps).map(([name, spec]) => [name, spec.docker] as const),
    ...Object.entries(manifest.services).map(
      ([name, spec]) => [name, spec.type === "command" ? spec.docker : undefined] as const,
    ),
  ].filter(([, docker]) => docker?.dockerfile !== undefined);
  return Object.fromEntries(
    built.map(([name]) => [name, `${registry}/${manifest.name}-${name}:${commit.slice(0, 12)}`]),
  );
}

function rank(object: Record<string, unknown>): number {
  const index = kindOrder.indexOf(String(object.kind));
  return index < 0 ? kindOrder.length : index;
}

function nameOf(object: Record<string, unknown>): string {
  return String((object.metadata as { name?: unknown } | undefined)?.name ?? "");
}

// Pulumi hands mocks a secret as {<signature>: <secret marker>, value}; render shows the value, as `helm template` does.
const secretSignature = "4dabf18193072939515e22adb298388d";

function revealSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  if (secretSignature in record && "value" in record) return revealSecrets(record.value);
  return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, revealSecrets(inner)]));
}
