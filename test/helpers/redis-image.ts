/**
 * A Redis image built locally, with no registry: a root filesystem of the host's redis-server
 * (Debian's `redis-server` package) and the shared libraries it needs, imported once (cached by a
 * hash of its inputs) and tagged `redis:7`, the image a `type: redis` service runs by default, so
 * docker suites never pull. Like the official image it works in /data as the `redis` user.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { ensureRootfsImage } from "../../provisioner/runtimes/docker/rootfs-image.ts";
import { testImageLabel } from "./docker-base-image.ts";

const run = promisify(execFile);
const uid = 999;

/** Builds (unless cached) and tags the image (default `redis:7`); returns its content-hash reference. */
export async function redisImage(docker: Docker, tags: string[] = ["redis:7"]): Promise<string> {
  const server = (await run("sh", ["-c", "command -v redis-server"])).stdout.trim();
  const ref = await ensureRootfsImage(docker, {
    repository: "previewd-test-redis",
    // Debian's redis-server is a link to redis-check-rdb, which acts as the server by its name.
    executables: [server === "" ? "/usr/bin/redis-server" : server],
    files: [
      {
        path: "/etc/passwd",
        content: `root:x:0:0:root:/root:/bin/false\nredis:x:${uid}:${uid}::/data:/bin/false\n`,
      },
      { path: "/etc/group", content: `root:x:0:\nredis:x:${uid}:\n` },
    ],
    dirs: [
      { path: "/tmp", mode: 0o1777 },
      { path: "/data", uid, gid: uid },
    ],
    changes: [
      `ENV PATH=${server.slice(0, server.lastIndexOf("/")) || "/usr/bin"}:/usr/bin:/bin`,
      "WORKDIR /data",
      `USER ${uid}:${uid}`,
      "EXPOSE 6379",
      'CMD ["redis-server"]',
    ],
    labels: { [testImageLabel]: "true" },
  });
  for (const tag of tags) {
    const [repo = tag, version = "latest"] = tag.split(":");
    await docker.getImage(ref).tag({ repo, tag: version });
  }
  return ref;
}
