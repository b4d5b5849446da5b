/**
 * previewd itself in a container on a Docker host, running the docker runtime: its data dir on a
 * named volume, the host's Docker socket (it creates the environments' containers beside itself),
 * and its token from Pulumi config uploaded as a file (PREVIEWD_TOKEN_FILE) — never in its
 * environment, where `docker inspect` and every child process would see it.
 *
 * The container shares the host's network instead of joining a bridge network: the docker runtime
 * publishes each environment's ports on the host's 127.0.0.1 and reaches them there, and its flags
 * gateway listens on each environment network's gateway address; from a bridge network, neither is
 * reachable. previewd listens on `listenAddress` (default 127.0.0.1; any other needs the token,
 * which previewd enforces anyway).
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

export interface PreviewdDockerConfig {
  /** previewd's image; without one, it is built from this repository (Dockerfile beside this file). */
  image?: string;
  /** The repository's root, the build context when no image is given. */
  repositoryRoot: string;
  token: pulumi.Input<string>;
  port?: number;
  listenAddress?: string;
  baseDomain?: string;
  dockerSocket?: string;
}

export interface PreviewdDockerOutputs {
  url: string;
  container: pulumi.Output<string>;
  image: pulumi.Output<string>;
}

export const dataDir = "/var/lib/previewd";
export const tokenFile = "/run/secrets/previewd-token";

export function previewdOnDocker(
  config: PreviewdDockerConfig,
  opts: pulumi.CustomResourceOptions = {},
): PreviewdDockerOutputs {
  const port = config.port ?? 7070;
  const listenAddress = config.listenAddress ?? "127.0.0.1";
  const socket = config.dockerSocket ?? "/var/run/docker.sock";
  // A named image is pulled (kept when the stack goes); otherwise built from the repository.
  const imageResource = config.image
    ? new docker.RemoteImage("previewd", { name: config.image, keepLocally: true }, opts)
    : new docker.Image(
        "previewd",
        {
          imageName: "previewd:local",
          build: {
            context: config.repositoryRoot,
            dockerfile: `${config.repositoryRoot}/infra/previewd-docker/Dockerfile`,
          },
          skipPush: true,
        },
        opts,
      );
  const image = pulumi.output(config.image ?? "previewd:local");
  const data = new docker.Volume(
    "previewd-data",
    { name: "previewd-data", labels: [{ label: "dev.previewd.deployment", value: "previewd-docker" }] },
    opts,
  );
  const container = new docker.Container(
    "previewd",
    {
      name: "previewd",
      image,
      restart: "unless-stopped",
      networkMode: "host",
      envs: [
        `PREVIEWD_HOST=${listenAddress}`,
        `PREVIEWD_PORT=${port}`,
        "PREVIEWD_RUNTIME=docker",
        `PREVIEWD_DATA_DIR=${dataDir}`,
        `PREVIEWD_TOKEN_FILE=${tokenFile}`,
        `PREVIEWD_BASE_DOMAIN=${config.baseDomain ?? "localhost"}`,
      ],
      uploads: [{ file: tokenFile, content: pulumi.secret(config.token) }],
      volumes: [
        { volumeName: data.name, containerPath: dataDir },
        { hostPath: socket, containerPath: "/var/run/docker.sock" },
      ],
      labels: [{ label: "dev.previewd.deployment", value: "previewd-docker" }],
      healthcheck: {
        tests: [
          "CMD",
          "node",
          "-e",
          `fetch("http://127.0.0.1:${port}/healthz").then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
        ],
        interval: "10s",
        timeout: "5s",
        retries: 3,
      },
    },
    { ...opts, dependsOn: [imageResource] },
  );
  const host = listenAddress === "0.0.0.0" ? "127.0.0.1" : listenAddress;
  return { url: `http://${host}:${port}`, container: container.name, image };
}
