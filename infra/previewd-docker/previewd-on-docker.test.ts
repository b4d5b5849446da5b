import { describe, expect, it } from "vitest";
import { runUnderMocks } from "../preview-environment/mocked-program.ts";
import { previewdOnDocker } from "./previewd-on-docker.ts";

const secretSignature = "4dabf18193072939515e22adb298388d";

describe("infra/previewd-docker: previewd in a container on a Docker host", () => {
  it("runs previewd with its data volume, the Docker socket, the host's network and the token as an uploaded secret file", async () => {
    const run = await runUnderMocks(async () =>
      previewdOnDocker({
        repositoryRoot: "/src/previewd",
        token: "s3cret-token",
        baseDomain: "previews.example.com",
      }),
    );
    const types = run.resources.map((r) => r.type).sort();
    expect(types).toEqual([
      "docker:index/container:Container",
      "docker:index/image:Image",
      "docker:index/volume:Volume",
    ]);
    const image = run.resources.find((r) => r.type === "docker:index/image:Image")!.inputs;
    expect(image).toMatchObject({
      imageName: "previewd:local",
      skipPush: true,
      build: { context: "/src/previewd", dockerfile: "/src/previewd/infra/previewd-docker/Dockerfile" },
    });
    const volume = run.resources.find((r) => r.type === "docker:index/volume:Volume")!.inputs;
    const containerResource = run.resources.find((r) => r.type === "docker:index/container:Container")!;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- objects read field by field
    const container = containerResource.inputs as Record<string, any>;

    expect(container.networkMode).toBe("host");
    expect(container.restart).toBe("unless-stopped");
    expect(container.volumes).toEqual([
      { volumeName: volume.name, containerPath: "/var/lib/previewd" },
      { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" },
    ]);
    expect(container.envs).toEqual(
      expect.arrayContaining([
        "PREVIEWD_RUNTIME=docker",
        "PREVIEWD_HOST=127.0.0.1",
        "PREVIEWD_TOKEN_FILE=/run/secrets/previewd-token",
        "PREVIEWD_BASE_DOMAIN=previews.example.com",
      ]),
    );
    // The token is a Pulumi secret, uploaded as a file: never in the container's environment.
    expect(JSON.stringify(container.envs)).not.toContain("s3cret-token");
    // The uploads carry a secret, so Pulumi keeps the whole list secret.
    expect(container.uploads).toMatchObject({ [secretSignature]: expect.any(String) });
    const upload = container.uploads.value[0];
    expect(upload.file).toBe("/run/secrets/previewd-token");
    expect(upload.content).toBe("s3cret-token");
    expect(run.outputs.url).toBe("http://127.0.0.1:7070");
  });

  it("uses a given image instead of building one", async () => {
    const run = await runUnderMocks(async () =>
      previewdOnDocker({ repositoryRoot: "/src", token: "t", image: "ghcr.io/acme/previewd:1", port: 8080 }),
    );
    expect(
      run.resources.find((r) => r.type === "docker:index/remoteImage:RemoteImage")!.inputs,
    ).toMatchObject({
      name: "ghcr.io/acme/previewd:1",
      keepLocally: true,
    });
    expect(run.resources.some((r) => r.type === "docker:index/image:Image")).toBe(false);
    expect(
      (run.resources.find((r) => r.type.endsWith(":Container"))!.inputs as { envs: string[] }).envs,
    ).toContain("PREVIEWD_PORT=8080");
  });
});
