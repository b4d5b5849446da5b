import { describe, expect, it } from "vitest";
import { ValidationError } from "../../errors.ts";
import { kubernetesSettingsFromEnv } from "./kubernetes-settings.ts";

const defaults = { dataDir: "/var/lib/previewd", baseDomain: "localhost" };

describe("kubernetesSettingsFromEnv", () => {
  it("gives previewd's own ServiceAccount to the program, as infra/previewd-kubernetes sets it", () => {
    const settings = kubernetesSettingsFromEnv(defaults, {
      PREVIEWD_KUBERNETES_REGISTRY: "registry.example:5000/previews/",
      PREVIEWD_KUBERNETES_SERVICE_ACCOUNT: "previewd/previewd",
    });
    expect(settings).toMatchObject({
      registry: "registry.example:5000/previews",
      serviceAccount: { namespace: "previewd", name: "previewd" },
      backendUrl: "file:///var/lib/previewd/pulumi",
    });
  });

  it("names the variable and what it expects when the ServiceAccount is not <namespace>/<name>", () => {
    const read = () =>
      kubernetesSettingsFromEnv(defaults, { PREVIEWD_KUBERNETES_SERVICE_ACCOUNT: "previewd" });
    expect(read).toThrow(ValidationError);
    try {
      read();
    } catch (error) {
      expect((error as ValidationError).errors).toEqual([
        {
          path: "PREVIEWD_KUBERNETES_SERVICE_ACCOUNT",
          message: 'expected <namespace>/<service-account>, got "previewd"',
        },
      ]);
    }
  });
});
