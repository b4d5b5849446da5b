/**
 * A `redis` service on the process runtime: `redis-server` from PATH, on 127.0.0.1 and a port
 * previewd allocated, as the environment's user, its append-only file in its own folder
 * (service-data-dir.ts) so a restart after a crash keeps the data, as with Postgres. Labelled
 * and detached like every service, so a restarted previewd adopts or removes it.
 */
import { ProvisionError } from "../../errors.ts";
import type { RuntimeEnvironment } from "../runtime.ts";
import { redisAnswers, waitReady } from "../service-readiness.ts";
import { childIdentity, identityBase, identityVariables } from "./child-identity.ts";
import type { OutputCapture } from "./output-capture.ts";
import { childEnvironment } from "./process-labels.ts";
import { spawnDetached, stopGroups } from "./process-group.ts";
import type { ServiceProcessHandle } from "./process-handles.ts";
import { redisServerProgram } from "./service-prerequisites.ts";
import { serviceDataDir } from "./service-data-dir.ts";

export interface StartRedisOptions {
  env: RuntimeEnvironment;
  owner: string;
  name: string;
  port: number;
  output: OutputCapture;
  signal: AbortSignal;
  readyTimeoutMs: number;
}

export function redisUrl(port: number): string {
  return `redis://127.0.0.1:${port}`;
}

// Every write reaches the page cache before it is acknowledged, never the disk: preview data need
// not survive the machine crashing, only redis-server crashing (supervision restarts it).
const persistence = ["--appendonly", "yes", "--appendfsync", "no", "--save", ""];
// Setting its process title writes over the memory /proc/<pid>/environ shows, and with it the
// labels that let a restarted previewd find the server.
const keepLabels = ["--set-proc-title", "no"];

export async function startRedis(options: StartRedisOptions): Promise<Required<ServiceProcessHandle>> {
  const { env, owner, name, port, output } = options;
  const program = await redisServerProgram(name);
  const identity = await childIdentity(env, owner);
  const dataDir = await serviceDataDir({ owner, envId: env.id, envDataDir: env.dataDir, name, identity });
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dataDir, "--daemonize", "no"];
  const files = await output.open(name, name);
  const child = await spawnDetached({
    command: program,
    args: [...args, ...persistence, ...keepLabels],
    cwd: dataDir,
    env: childEnvironment(
      identityVariables(identity),
      { owner, envId: env.id, role: "service", name },
      identityBase(identity),
    ),
    stdout: files.stdout,
    stderr: files.stderr,
    ...(identity && { uid: identity.uid, gid: identity.gid }),
  }).finally(() => files.close());
  const problem = await waitReady({
    probe: redisAnswers(port),
    exitCode: child.exitCode,
    timeoutMs: options.readyTimeoutMs,
    signal: options.signal,
  });
  if (problem !== undefined) {
    await stopGroups([{ pgid: child.pid, role: "service" }], 5_000);
    throw new ProvisionError(`redis for ${name} ${problem}`, "services", name, await output.tail(name));
  }
  return { pid: child.pid, port, dataDir };
}
