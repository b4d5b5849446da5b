/**
 * A `postgres` service as a container on the environment's network (alias: the service name),
 * published on 127.0.0.1 for previewd (scenarios, resets). Apps reach it as
 * `postgres://…@<service>:5432/<db>`. Its data is in a labelled volume, or, from an image with the
 * data directory initialised (postgres-initialised-image.ts), in the container's own writable
 * layer: a new volume would first get a copy of the image's whole data directory (~40 MB, 1.4-4.9 s
 * of the create on a busy engine), the layer copies a file only when Postgres first writes it. The
 * layer is the container's alone, and kept while the container is: restarts start the same one.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import pg from "pg";
import { ProvisionError, errorMessage } from "../../errors.ts";
import type { DeployedService } from "../runtime.ts";
import type { ContainerLogs } from "./container-logs.ts";
import { containerName, labelsOf } from "./docker-labels.ts";
import type { PostgresContainerHandle } from "./docker-handles.ts";
import { postgresDataPath } from "./postgres-image.ts";
import { exitCodeOf, loopbackBinding, startContainer } from "./run-container.ts";

export const postgresUser = "postgres";
const user = postgresUser;
// Preview data need not survive the machine crashing (no fsync), but must survive Postgres
// crashing: supervision restarts it with its data, so each commit's WAL is written (to the page
// cache, which is cheap) before the commit returns.
const speedSettings = ["fsync=off", "full_page_writes=off"];

export interface StartPostgresContainerOptions {
  docker: Docker;
  owner: string;
  envId: string;
  name: string;
  database: string;
  image: string;
  network: string;
  logs: ContainerLogs;
  /** Keep the data in the container's writable layer, not a volume (the image holds it initialised). */
  dataInContainer?: boolean;
  /** Restarting a service keeps its volume and password. */
  previous?: PostgresContainerHandle;
  signal: AbortSignal;
  readyTimeoutMs: number;
  /** Called once the container exists, so it can be checkpointed before the wait. */
  onCreated(service: DeployedService): Promise<void>;
}

function urls(handle: PostgresContainerHandle, service: string): { url: string; internalUrl: string } {
  const auth = `${user}:${encodeURIComponent(handle.password)}`;
  return {
    url: `postgres://${auth}@127.0.0.1:${handle.hostPort}/${handle.database}`,
    internalUrl: `postgres://${auth}@${service}:5432/${handle.database}`,
  };
}

export function deployedService(
  handle: PostgresContainerHandle,
  name: string,
  status: DeployedService["status"],
): DeployedService {
  return { type: "postgres", status, ...urls(handle, name), handle: { ...handle } };
}

/** Connects to the server and creates the database if missing: undefined once done, else why not. */
export async function ensureDatabase(
  port: number,
  password: string,
  database: string,
): Promise<string | undefined> {
  const client = new pg.Client({
    host: "127.0.0.1",
    port,
    user,
    password,
    database: "postgres",
    connectionTimeoutMillis: 2_000,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    return undefined;
  } catch (error) {
    return errorMessage(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function startPostgresContainer(
  options: StartPostgresContainerOptions,
): Promise<DeployedService> {
  const { docker, name } = options;
  const password = options.previous?.password ?? randomBytes(18).toString("base64url");
  const labels = { owner: options.owner, envId: options.envId, name };
  // A previous container's volume is kept; its layer (no volume) went with it.
  const volume = options.previous
    ? options.previous.volume
    : options.dataInContainer
      ? undefined
      : containerName(options.envId, `${name}-data`);
  if (volume) await docker.createVolume({ Name: volume, Labels: labelsOf({ ...labels, role: "volume" }) });
  const create = (hostPort?: number) =>
    startContainer(
      docker,
      {
        name: containerName(options.envId, name),
        Image: options.image,
        Cmd: ["postgres", ...speedSettings.flatMap((s) => ["-c", s])],
        Env: [`POSTGRES_USER=${user}`, `POSTGRES_PASSWORD=${password}`, `POSTGRES_DB=${options.database}`],
        Labels: labelsOf({ ...labels, role: "service", specHash: options.image }),
        ExposedPorts: { "5432/tcp": {} },
        HostConfig: {
          PortBindings: loopbackBinding(5432, hostPort),
          ...(volume && { Mounts: [{ Type: "volume", Source: volume, Target: postgresDataPath }] }),
          RestartPolicy: { Name: "no" },
        },
        NetworkingConfig: { EndpointsConfig: { [options.network]: { Aliases: [name] } } },
      },
      5432,
    );
  // Keep the previous port (stable URLs) unless something else took it meanwhile.
  const previousPort = options.previous?.hostPort;
  const started = await create(previousPort).catch((error: unknown) => {
    if (previousPort === undefined) throw error;
    return create();
  });
  const handle: PostgresContainerHandle = {
    containerId: started.id,
    hostPort: started.hostPort,
    image: options.image,
    password,
    user,
    database: options.database,
    ...(volume && { volume }),
  };
  await options.onCreated(deployedService(handle, name, "starting"));
  await options.logs.follow(name, started.id, false);
  const deadline = Date.now() + options.readyTimeoutMs;
  // Postgres listens about a second after the container starts (initdb): probe often, since an
  // app waiting on it (depends_on) is the critical path once images exist; ask the engine whether
  // the container died on every fifth probe only.
  for (let probes = 0; ; probes++) {
    const problem = await ensureDatabase(started.hostPort, password, options.database);
    if (problem === undefined) break;
    const exitCode = probes % 5 === 0 ? await exitCodeOf(docker, started.id) : undefined;
    const why =
      exitCode !== undefined
        ? `exited with code ${exitCode}`
        : options.signal.aborted
          ? "was aborted"
          : Date.now() >= deadline
            ? `did not accept connections within ${options.readyTimeoutMs} ms (${problem})`
            : undefined;
    if (why) {
      await sleep(200); // Let the last lines of output arrive.
      throw new ProvisionError(`postgres for ${name} ${why}`, "services", name, options.logs.tail(name));
    }
    await sleep(50);
  }
  return deployedService(handle, name, "running");
}
