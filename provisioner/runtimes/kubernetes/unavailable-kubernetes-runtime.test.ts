import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RuntimeUnavailableError } from "../../errors.ts";
import { createUnavailableKubernetesRuntime } from "./unavailable-kubernetes-runtime.ts";

describe("the kubernetes runtime in a build without it", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it("says it is not available, names the missing pulumi CLI and kubeconfig, and points to the other runtimes", async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), "previewd-k8s-"));
    dirs.push(home);
    const runtime = createUnavailableKubernetesRuntime({ PATH: path.join(home, "bin"), HOME: home });

    const error = await runtime.checkAvailable().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RuntimeUnavailableError);
    expect(error).toMatchObject({ status: 503, type: "runtime-unavailable" });
    const message = (error as Error).message;
    expect(message).toContain("kubernetes runtime is not available");
    expect(message).toContain("the pulumi CLI");
    expect(message).toContain(`a kubeconfig (none readable at ${path.join(home, ".kube", "config")}`);
    expect(message).toContain('Use runtime "process" or "docker"');
  });

  it("names nothing as missing when pulumi is on PATH and KUBECONFIG points at a file", async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), "previewd-k8s-"));
    dirs.push(home);
    await mkdir(path.join(home, "bin"));
    await writeFile(path.join(home, "bin", "pulumi"), "#!/bin/sh\n");
    await chmod(path.join(home, "bin", "pulumi"), 0o755);
    await writeFile(path.join(home, "kubeconfig"), "apiVersion: v1\n");
    const runtime = createUnavailableKubernetesRuntime({
      PATH: path.join(home, "bin"),
      KUBECONFIG: path.join(home, "kubeconfig"),
    });

    const error = (await runtime.checkAvailable().catch((e: unknown) => e)) as Error;

    expect(error.message).toContain("not available in this build");
    expect(error.message).not.toContain("would also need");
  });

  it("has nothing to adopt, destroy or reconcile", async () => {
    const runtime = createUnavailableKubernetesRuntime({ PATH: "" });
    await expect(runtime.reconcile(new Set())).resolves.toEqual([]);
    await expect(runtime.destroy("x", "/nonexistent")).resolves.toBeUndefined();
    await expect(runtime.close()).resolves.toBeUndefined();
  });
});
