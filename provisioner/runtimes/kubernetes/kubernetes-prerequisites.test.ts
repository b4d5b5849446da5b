import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RuntimeUnavailableError } from "../../errors.ts";
import { assertKubernetesPrerequisites, missingKubernetesPrerequisites } from "./kubernetes-prerequisites.ts";

const kubeconfig = (current: string) => `apiVersion: v1
kind: Config
clusters: [{ name: kind, cluster: { server: "https://127.0.0.1:6443" } }]
users: [{ name: kind, user: { token: t } }]
contexts: [{ name: kind-previews, context: { cluster: kind, user: kind } }]
current-context: "${current}"
`;

describe("what the kubernetes runtime needs before anything starts", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  const home = async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "previewd-k8s-"));
    dirs.push(dir);
    return dir;
  };
  const executable = async (file: string) => {
    await mkdir(path.dirname(file), { recursive: true });
    // An installed CLI: created executable, as an installer writes it.
    await writeFile(file, "#!/bin/sh\n", { mode: 0o755 });
  };

  it("names the pulumi CLI, the kubeconfig and the registry, with docs/kubernetes.md, as a 503", async () => {
    const dir = await home();
    const error = await assertKubernetesPrerequisites({}, { PATH: path.join(dir, "bin"), HOME: dir }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RuntimeUnavailableError);
    expect(error).toMatchObject({ status: 503, type: "runtime-unavailable" });
    const message = (error as Error).message;
    expect(message).toContain("the kubernetes runtime is not available");
    expect(message).toContain("the pulumi CLI (not found on PATH nor in");
    expect(message).toContain(`a kubeconfig (none readable at ${path.join(dir, ".kube", "config")}`);
    expect(message).toContain("PREVIEWD_KUBERNETES_REGISTRY");
    expect(message).toContain("See docs/kubernetes.md");
    expect(message).toContain('use runtime "process" or "docker"');
  });

  it("finds pulumi under PULUMI_HOME/bin where its installer puts it, and a kubeconfig's current context", async () => {
    const dir = await home();
    await executable(path.join(dir, "pulumi-home", "bin", "pulumi"));
    await writeFile(path.join(dir, "kubeconfig"), kubeconfig("kind-previews"));
    const env = {
      PATH: "",
      PULUMI_HOME: path.join(dir, "pulumi-home"),
      KUBECONFIG: path.join(dir, "kubeconfig"),
    };
    expect(await missingKubernetesPrerequisites({ registry: "localhost:5001/previews" }, env)).toEqual([]);
    await expect(
      assertKubernetesPrerequisites({ registry: "localhost:5001/previews" }, env),
    ).resolves.toBeUndefined();
  });

  it("says which context is missing: none current, or a PREVIEWD_KUBERNETES_CONTEXT the kubeconfig lacks", async () => {
    const dir = await home();
    await executable(path.join(dir, "bin", "pulumi"));
    await writeFile(path.join(dir, "kubeconfig"), kubeconfig(""));
    const env = { PATH: path.join(dir, "bin"), KUBECONFIG: path.join(dir, "kubeconfig") };
    const [noCurrent] = await missingKubernetesPrerequisites({ registry: "r" }, env);
    expect(noCurrent).toContain("has no current context");
    const [unknown] = await missingKubernetesPrerequisites({ registry: "r", context: "prod" }, env);
    expect(unknown).toContain("the kubeconfig context prod (PREVIEWD_KUBERNETES_CONTEXT;");
    expect(unknown).toContain("has kind-previews");
    expect(await missingKubernetesPrerequisites({ registry: "r", context: "kind-previews" }, env)).toEqual(
      [],
    );
  });
});
