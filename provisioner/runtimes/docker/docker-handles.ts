/** The docker runtime's `handle` of deployed apps and services, read back from persisted JSON. */
import { frontOf, type Front } from "../fronts/app-front.ts";
import { isPort } from "../handle-fields.ts";
import type { DeployedApp, DeployedService } from "../runtime.ts";

export interface ContainerHandle {
  containerId: string;
  /** The port published on 127.0.0.1. */
  hostPort: number;
  image: string;
}

export interface AppContainerHandle extends ContainerHandle {
  /** The port of the environment's flags gateway, baked into PREVIEW_FLAGS_URL. */
  flagsPort: number;
  /** Which of the app's containers (its name and generation label say it too); 1 if not recorded. */
  generation: number;
  /** Its stable loopback address (fronts/app-front.ts); none in records made before fronts. */
  front?: Front;
}

export interface ServiceContainerHandle extends ContainerHandle {
  /**
   * The named volume of its data (Postgres); removed with the service. None when the data is in
   * the container's own writable layer (postgres-container.ts): kept while the container is.
   */
  volume?: string;
  /** A `command` service's inputs when it started (service-input-hash.ts). */
  inputHash?: string;
}

export interface PostgresContainerHandle extends ServiceContainerHandle {
  /** Random per environment. The deployment record is previewd's state, never logged. */
  password: string;
  user: string;
  database: string;
}

function isText(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

export function appContainerHandle(app: DeployedApp | undefined): AppContainerHandle | undefined {
  const h = app?.handle;
  if (!h || !isText(h.containerId) || !isPort(h.hostPort) || !isText(h.image) || !isPort(h.flagsPort))
    return undefined;
  const generation =
    Number.isInteger(h.generation) && (h.generation as number) > 0 ? (h.generation as number) : 1;
  const front = frontOf(h);
  return {
    containerId: h.containerId,
    hostPort: h.hostPort,
    image: h.image,
    flagsPort: h.flagsPort,
    generation,
    ...(front && { front }),
  };
}

export function serviceContainerHandle(
  service: DeployedService | undefined,
): ServiceContainerHandle | undefined {
  const h = service?.handle;
  if (!h || !isText(h.containerId) || !isPort(h.hostPort) || !isText(h.image)) return undefined;
  return {
    containerId: h.containerId,
    hostPort: h.hostPort,
    image: h.image,
    ...(isText(h.volume) && { volume: h.volume }),
    ...(isText(h.inputHash) && { inputHash: h.inputHash }),
  };
}

export function postgresContainerHandle(
  service: DeployedService | undefined,
): PostgresContainerHandle | undefined {
  const h = service?.handle;
  const base = serviceContainerHandle(service);
  if (!h || !base || !isText(h.password) || !isText(h.database)) return undefined;
  return {
    ...base,
    password: h.password,
    user: isText(h.user) ? h.user : "postgres",
    database: h.database,
  };
}
