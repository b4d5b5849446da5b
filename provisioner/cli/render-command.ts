/**
 * `previewd render [dir] --runtime kubernetes [--ref R]`: prints every Kubernetes object the
 * kubernetes runtime would create for the directory's manifest, as YAML documents (like
 * `helm template`), without a cluster or the pulumi CLI. It runs the runtime's own Pulumi program
 * under `pulumi.runtime.setMocks` and prints what the program gave each resource. Images are named
 * `<registry>/<manifest-name>-<app>:<commit>`, since nothing is built.
 */
import { Command } from "commander";
import { ValidationError } from "../errors.ts";
import { buildRequest } from "./up-command.ts";

export const placeholderRegistry = "registry.example.com/previews";
const defaultPreviewdUrl = "http://previewd.previewd.svc";

export interface RenderOptions {
  runtime?: string;
  ref?: string;
  registry?: string;
  baseDomain?: string;
  ingressClass?: string;
  storageClass?: string;
  previewdUrl?: string;
}

export function renderCommand(): Command {
  return new Command("render")
    .description(
      "print the Kubernetes objects the kubernetes runtime would create, as YAML, without a cluster",
    )
    .argument("[dir]", "the monorepo root or a directory inside the repository", ".")
    .option("--runtime <runtime>", 'the runtime whose objects to print (only "kubernetes")', "kubernetes")
    .option("--ref <ref>", "render this branch, tag or commit instead of the working tree")
    .option(
      "--registry <registry>",
      "where app images are pushed (default: PREVIEWD_KUBERNETES_REGISTRY or a placeholder)",
    )
    .option(
      "--base-domain <domain>",
      "preview hosts' domain (default: PREVIEWD_KUBERNETES_BASE_DOMAIN, PREVIEWD_BASE_DOMAIN or localhost)",
    )
    .option(
      "--ingress-class <class>",
      "the Ingress class (default: PREVIEWD_KUBERNETES_INGRESS_CLASS or the cluster's)",
    )
    .option("--storage-class <class>", "Postgres volumes' storage class (default: the cluster's)")
    .option(
      "--previewd-url <url>",
      `previewd's URL as pods reach it, for PREVIEW_FLAGS_URL (default ${defaultPreviewdUrl})`,
    )
    .action(async (dir: string, options: RenderOptions) => {
      process.stdout.write(await renderKubernetesYaml(dir, options));
    });
}

/** The YAML stream `previewd render` prints. */
export async function renderKubernetesYaml(
  dir: string,
  options: RenderOptions,
  env = process.env,
): Promise<string> {
  if (options.runtime !== undefined && options.runtime !== "kubernetes") {
    const message = `expected "kubernetes" (got ${JSON.stringify(options.runtime)}): the process and docker runtimes create no Kubernetes objects`;
    throw new ValidationError(`--runtime: ${message}`, { errors: [{ path: "--runtime", message }] });
  }
  const [{ resolveRenderSource }, { renderObjects }, { kubernetesSettingsFromEnv }, { stringify }] =
    await Promise.all([
      import("./render-source.ts"),
      import("./render-objects.ts"),
      import("../runtimes/kubernetes/kubernetes-settings.ts"),
      import("yaml"),
    ]);
  const source = await resolveRenderSource(await buildRequest(dir, options.ref ? { ref: options.ref } : {}));
  // The runtime's own reading of PREVIEWD_KUBERNETES_* and PREVIEWD_BASE_DOMAIN; flags win over it.
  const settings = kubernetesSettingsFromEnv(
    { dataDir: "", baseDomain: env.PREVIEWD_BASE_DOMAIN || "localhost" },
    env,
  );
  const registry = (options.registry ?? settings.registry ?? placeholderRegistry).replace(/\/+$/, "");
  const ingressClass = options.ingressClass ?? settings.ingressClass;
  const storageClass = options.storageClass ?? settings.storageClass;
  const objects = await renderObjects({
    source,
    registry,
    baseDomain: options.baseDomain ?? settings.baseDomain,
    previewdUrl: options.previewdUrl ?? defaultPreviewdUrl,
    ...(ingressClass && { ingressClass }),
    ...(storageClass && { storageClass }),
    ...(settings.browserImage && { browserImage: settings.browserImage }),
  });
  const header = `# previewd render: environment ${source.id} (${source.ref} at ${source.commit.slice(0, 12)}), images under ${registry}\n`;
  return header + objects.map((object) => `---\n${stringify(object, { lineWidth: 0 })}`).join("");
}
