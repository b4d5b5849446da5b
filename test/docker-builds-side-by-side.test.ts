/**
 * Faster pipelines on a real engine: image builds run side by side, and an app's container starts
 * as soon as its own image and dependencies are ready. Proved by order, not by time: a gate this
 * test serves on the engine's bridge (where build steps run) lets builds `a` and `b` through only
 * once both have arrived (one build at a time would never get there), and `slow`'s build only once
 * `fast` is healthy (all builds before any start would never get there). The gate's URL reaches
 * the Dockerfiles as a build arg, through `build_env`. A build that gives up fails after 60 s.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentEvent } from "../provisioner/environments/environment-schema.ts";
import { nodeBaseImage } from "./helpers/docker-base-image.ts";
import { docker, skipDocker } from "./helpers/docker-engine.ts";
import { fixtureBaseImage } from "./helpers/docker-fixture.ts";
import { startDockerHarness, type DockerHarness } from "./helpers/docker-harness.ts";
import { createGitRepo, type GitFixture } from "./helpers/git-fixture.ts";

const app = (name: string, port: number) => `  ${name}:
    path: apps/${name}
    build_env: { GATE: "\${env.id}" }
    docker: { dockerfile: apps/${name}/Dockerfile, context: apps/${name}, port: ${port} }
`;

/** A Dockerfile whose build asks the gate `/<wait>` until it answers 200, after saying `/arrive/<name>`. */
const dockerfile = (name: string, wait: string | undefined, gateUrl: string) => `FROM ${fixtureBaseImage}
WORKDIR /app
COPY server.js ./
ARG GATE
${
  wait
    ? `RUN node -e "const g = '${gateUrl}/' + process.env.GATE; const t = Date.now() + 60000; \\
  (async () => { await fetch(g + '/arrive/${name}'); \\
  while (Date.now() < t) { if ((await fetch(g + '/${wait}')).ok) return; await new Promise((r) => setTimeout(r, 100)); } \\
  console.error('${name} never got through'); process.exit(1); })()"`
    : ""
}
USER node
CMD ["node", "server.js"]
`;

const server = `require("node:http").createServer((req, res) => res.end("ok")).listen(Number(process.env.PORT), "0.0.0.0");\n`;

describe.skipIf(skipDocker)("image builds side by side on the docker runtime", () => {
  let harness: DockerHarness;
  let repo: GitFixture;
  let gate: http.Server;
  const arrived = new Set<string>();
  let fastHealthy = false;

  beforeAll(async () => {
    // Two builds at once, whatever this machine's core count.
    harness = await startDockerHarness({ buildConcurrency: 2 });
    await nodeBaseImage(docker, { tags: [fixtureBaseImage] });
    const bridge = (await docker.getNetwork("bridge").inspect()) as {
      IPAM?: { Config?: { Gateway?: string; Subnet?: string }[] };
    };
    const config = bridge.IPAM?.Config?.[0];
    const host = config?.Gateway ?? config?.Subnet?.replace(/\.0\/\d+$/, ".1") ?? "172.17.0.1";
    gate = http.createServer((req, res) => {
      const [, , what, who] = (req.url ?? "").split("/");
      if (what === "arrive" && who) arrived.add(who);
      const open =
        what === "arrive" ||
        (what === "both" && arrived.has("a") && arrived.has("b")) ||
        (what === "fast" && fastHealthy);
      res.writeHead(open ? 200 : 404).end();
    });
    await new Promise<void>((resolve) => gate.listen(0, host, resolve));
    const gateUrl = `http://${host}:${(gate.address() as AddressInfo).port}`;
    repo = await createGitRepo({
      "preview.yaml": `version: 1
name: dockside
apps:
${app("a", 8080)}${app("b", 8080)}${app("fast", 8080)}${app("slow", 8080)}`,
      "apps/a/Dockerfile": dockerfile("a", "both", gateUrl),
      "apps/b/Dockerfile": dockerfile("b", "both", gateUrl),
      "apps/fast/Dockerfile": dockerfile("fast", undefined, gateUrl),
      "apps/slow/Dockerfile": dockerfile("slow", "fast", gateUrl),
      ...Object.fromEntries(["a", "b", "fast", "slow"].map((name) => [`apps/${name}/server.js`, server])),
    });
  }, 300_000);

  afterAll(async () => {
    await harness?.close();
    await repo?.remove();
    gate?.close();
  });

  it(
    "builds independent images at once and starts an app while an unrelated build still runs",
    { timeout: 300_000 },
    async () => {
      const creating = harness.create({ repo: repo.dir, ref: "main", runtime: "docker" }, 280);
      // The gate opens for slow's build once fast answers (the environment's events say so).
      const watch = setInterval(() => {
        const env = harness.previewd.orchestrator.list()[0];
        const events = env ? harness.previewd.orchestrator.events(env.id) : [];
        fastHealthy ||= events.some(
          (e) => e.step === "health" && e.status === "succeeded" && e.app === "fast",
        );
      }, 100);
      const created = await creating.finally(() => clearInterval(watch));
      expect(created.body.status, JSON.stringify(created.body.error)).toBe("ready");
      const events = harness.previewd.orchestrator.events(created.body.id);
      const at = (step: string, status: string, name: string) =>
        events.findIndex((e: EnvironmentEvent) => e.step === step && e.status === status && e.app === name);
      expect(at("build", "started", "a")).toBeLessThan(at("build", "succeeded", "b"));
      expect(at("build", "started", "b")).toBeLessThan(at("build", "succeeded", "a"));
      expect(at("health", "succeeded", "fast")).toBeLessThan(at("build", "succeeded", "slow"));
      expect(at("build", "succeeded", "slow")).toBeLessThan(at("start", "started", "slow"));
    },
  );
});
