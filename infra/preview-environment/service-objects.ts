/**
 * Backing services, a fresh instance per environment: Postgres as a StatefulSet with its data on a
 * volume claimed per environment, Redis as a StatefulSet (a preview's cache needs no volume), a
 * `command` service as a Deployment of its image; each behind a Service named after it, which is
 * the host in every `${services.<s>.url}`.
 */
import type { CommandServiceSpec, ServiceSpec } from "../../provisioner/manifest/manifest-schema.ts";
import {
  inClusterServiceEnvironment,
  postgresPassword,
  postgresPort,
  postgresUser,
  redisPort,
} from "./in-cluster-values.ts";
import { selectorLabels, workloadLabels } from "./labels.ts";
import { podSpec } from "./app-objects.ts";
import { containerEnv, meta, type PlanContext } from "./plan-context.ts";
import {
  keyOf,
  planned,
  type Container,
  type PlannedObject,
  type StatefulSetSpec,
} from "./planned-object.ts";
import { httpProbes, tcpProbes } from "./probes.ts";
import { dockerBlockAmounts, quantities, serviceAmounts, type ContainerAmounts } from "./resources.ts";

export const defaultPostgresImage = "postgres:16";
export const defaultRedisImage = "redis:7";
export const defaultVolumeSize = "1Gi";
const postgresDataPath = "/var/lib/postgresql/data";
// Preview data need not survive the node crashing (no fsync), only Postgres restarting (WAL kept).
const postgresSettings = ["fsync=off", "full_page_writes=off"];

export function serviceObjects(
  ctx: PlanContext,
  name: string,
  spec: ServiceSpec,
  image?: string,
): PlannedObject[] {
  if (spec.type === "postgres") return postgresObjects(ctx, name, spec.database ?? name, spec.image);
  if (spec.type === "redis") return redisObjects(ctx, name, spec.image);
  return commandObjects(ctx, name, spec, image ?? spec.docker?.image ?? "");
}

function resourcesOf(amounts: ContainerAmounts) {
  return { limits: quantities(amounts.limits), requests: quantities(amounts.requests) };
}

function postgresObjects(
  ctx: PlanContext,
  name: string,
  database: string,
  image = defaultPostgresImage,
): PlannedObject[] {
  const secretName = `${name}-postgres`;
  const container: Container = {
    name: "postgres",
    image,
    // The official image's entrypoint runs `postgres` with arguments that start with "-".
    args: postgresSettings.flatMap((setting) => ["-c", setting]),
    ports: [{ name: "postgres", containerPort: postgresPort }],
    env: [
      { name: "POSTGRES_USER", value: postgresUser },
      { name: "POSTGRES_PASSWORD", valueFrom: { secretKeyRef: { name: secretName, key: "password" } } },
      { name: "POSTGRES_DB", value: database },
      // A volume's root may hold lost+found, which initdb refuses: the data goes one level down.
      { name: "PGDATA", value: `${postgresDataPath}/pgdata` },
    ],
    volumeMounts: [{ name: "data", mountPath: postgresDataPath }],
    resources: resourcesOf(serviceAmounts.postgres),
    readinessProbe: {
      exec: { command: ["pg_isready", "-h", "127.0.0.1", "-U", postgresUser, "-d", database] },
      periodSeconds: 2,
      failureThreshold: 3,
    },
    livenessProbe: {
      exec: { command: ["pg_isready", "-h", "127.0.0.1", "-U", postgresUser] },
      initialDelaySeconds: 30,
      periodSeconds: 10,
      failureThreshold: 6,
    },
  };
  const { storageClass, volumeSize } = ctx.args.settings;
  const statefulSet: StatefulSetSpec = {
    ...statefulSetBase(ctx, name, container),
    volumeClaimTemplates: [
      {
        metadata: { name: "data", labels: workloadLabels(ctx.labels, name, "service") },
        spec: {
          accessModes: ["ReadWriteOnce"],
          ...(storageClass && { storageClassName: storageClass }),
          resources: { requests: { storage: volumeSize ?? defaultVolumeSize } },
        },
      },
    ],
    // The claims go with the environment: nothing of a deleted preview is left behind.
    persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Delete" },
  };
  return [
    planned("v1", "Secret", meta(ctx, secretName, "service", name), {
      type: "Opaque",
      stringData: { password: postgresPassword(ctx.args, name) },
    }),
    planned("apps/v1", "StatefulSet", meta(ctx, name, "service"), { spec: statefulSet }, [
      keyOf("Secret", secretName),
    ]),
    serviceOf(ctx, name, "postgres", postgresPort),
  ];
}

function redisObjects(ctx: PlanContext, name: string, image = defaultRedisImage): PlannedObject[] {
  const container: Container = {
    name: "redis",
    image,
    args: ["--save", "", "--appendonly", "no"],
    ports: [{ name: "redis", containerPort: redisPort }],
    resources: resourcesOf(serviceAmounts.redis),
    readinessProbe: { exec: { command: ["redis-cli", "ping"] }, periodSeconds: 2, failureThreshold: 3 },
    livenessProbe: { tcpSocket: { port: "redis" }, periodSeconds: 10, failureThreshold: 3 },
  };
  return [
    planned("apps/v1", "StatefulSet", meta(ctx, name, "service"), {
      spec: statefulSetBase(ctx, name, container),
    }),
    serviceOf(ctx, name, "redis", redisPort),
  ];
}

function commandObjects(
  ctx: PlanContext,
  name: string,
  spec: CommandServiceSpec,
  image: string,
): PlannedObject[] {
  const port = spec.docker?.port ?? 80;
  const secretName = `${name}-env`;
  const { env, secretData } = containerEnv(ctx, inClusterServiceEnvironment(ctx.args, name), secretName);
  const container: Container = {
    name,
    image,
    ports: [{ name: "http", containerPort: port }],
    env,
    resources: resourcesOf(dockerBlockAmounts(`services.${name}`, spec.docker)),
    ...(spec.health ? httpProbes(spec.health) : tcpProbes()),
  };
  const objects: PlannedObject[] = [];
  const hasSecret = Object.keys(secretData).length > 0;
  if (hasSecret)
    objects.push(
      planned("v1", "Secret", meta(ctx, secretName, "service", name), {
        type: "Opaque",
        stringData: secretData,
      }),
    );
  objects.push(
    planned(
      "apps/v1",
      "Deployment",
      meta(ctx, name, "service"),
      {
        spec: {
          replicas: 1,
          revisionHistoryLimit: 2,
          selector: { matchLabels: selectorLabels(ctx.labels, name, "service") },
          template: {
            metadata: { labels: workloadLabels(ctx.labels, name, "service") },
            spec: podSpec([container]),
          },
        },
      },
      hasSecret ? [keyOf("Secret", secretName)] : [],
    ),
    serviceOf(ctx, name, "http", port),
  );
  return objects;
}

function statefulSetBase(ctx: PlanContext, name: string, container: Container): StatefulSetSpec {
  return {
    serviceName: name,
    replicas: 1,
    selector: { matchLabels: selectorLabels(ctx.labels, name, "service") },
    template: {
      metadata: { labels: workloadLabels(ctx.labels, name, "service") },
      spec: podSpec([container]),
    },
  };
}

function serviceOf(ctx: PlanContext, name: string, portName: string, port: number): PlannedObject {
  return planned("v1", "Service", meta(ctx, name, "service"), {
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(ctx.labels, name, "service"),
      ports: [{ name: portName, port, targetPort: portName }],
    },
  });
}
