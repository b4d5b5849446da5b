/**
 * The initialised Postgres image on a real engine: Postgres containers started from it the way
 * environments start theirs each have their own data and their own password, keep both across a
 * restart (and an update's start of a stopped one), and the image is built again when what it is
 * made from changes.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../logger.ts";
import { MemoryLogStore } from "../../logs/memory-log-store.ts";
import { docker, removeOwned, skipDocker } from "../../../test/helpers/docker-engine.ts";
import { eventually } from "../../../test/helpers/processes.ts";
import type { DeployedService } from "../runtime.ts";
import { ContainerLogs } from "./container-logs.ts";
import { postgresContainerHandle } from "./docker-handles.ts";
import { ensureNetwork } from "./docker-objects.ts";
import { initialisedImageRef } from "./postgres-initialised-image.ts";
import { PostgresImages } from "./postgres-images.ts";
import { postgresUser, startPostgresContainer } from "./postgres-container.ts";
import { restartContainer } from "./run-container.ts";
import { startPostgresAgain } from "./service-restart.ts";
import { warmStarts } from "./warm-starts.ts";

const owner = `pginit${process.pid}`;

async function query(service: DeployedService, sql: string, password?: string): Promise<unknown[]> {
  const url = new URL(service.url);
  if (password !== undefined) url.password = password;
  const client = new pg.Client({ connectionString: url.href, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("initialisedImageRef", () => {
  it("names a new image when the base image, user or database changes", () => {
    const one = { base: "previewd-postgres:aaaa", user: "postgres", database: "shop" };
    const ref = initialisedImageRef(one);
    expect(ref).toMatch(/^previewd-postgres-initialised:[0-9a-f]{16}$/);
    expect(initialisedImageRef({ ...one })).toBe(ref);
    expect(initialisedImageRef({ ...one, base: "previewd-postgres:bbbb" })).not.toBe(ref);
    expect(initialisedImageRef({ ...one, user: "app" })).not.toBe(ref);
    expect(initialisedImageRef({ ...one, database: "shop2" })).not.toBe(ref);
  });
});

describe.skipIf(skipDocker)("Postgres from the initialised image", () => {
  const signal = new AbortController().signal;
  const images = new PostgresImages(docker, owner, silentLogger, warmStarts());
  let dataDir: string;
  let network: string;

  const start = async (envId: string) => {
    const image = await images.ensure({ service: "db", user: postgresUser, database: "shop", signal });
    return startPostgresContainer({
      docker,
      owner,
      envId,
      name: "db",
      database: "shop",
      image,
      dataInContainer: images.dataInContainer(image),
      network,
      logs: new ContainerLogs(docker, envId, dataDir, new MemoryLogStore()),
      signal,
      readyTimeoutMs: 60_000,
      onCreated: async () => undefined,
    });
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "previewd-pginit-"));
    network = (await ensureNetwork(docker, owner, "pginit")).name;
  });

  afterAll(async () => {
    await removeOwned(owner);
    await rm(dataDir, { recursive: true, force: true });
  });

  it(
    "gives each container its own data and password, kept across a restart",
    { timeout: 180_000 },
    async () => {
      const first = await start("pginit-a");
      const second = await start("pginit-b");
      const image = postgresContainerHandle(first)?.image ?? "";
      expect(image).toMatch(/^previewd-postgres-initialised:/);
      expect(postgresContainerHandle(second)?.image).toBe(image);
      const [a, b] = [postgresContainerHandle(first)!, postgresContainerHandle(second)!];
      expect(a.password).not.toBe(b.password);
      // Each one's data is in its own container's writable layer: no volume, nothing mounted.
      expect([a.volume, b.volume]).toEqual([undefined, undefined]);
      for (const id of [a.containerId, b.containerId])
        expect((await docker.getContainer(id).inspect()).Mounts).toEqual([]);

      await query(first, "create table orders (id int); insert into orders values (1)");
      const tables = "select tablename from pg_tables where schemaname = 'public'";
      expect(await query(second, tables)).toEqual([]);
      // One's password does not open the other's database.
      await expect(query(second, "select 1", a.password)).rejects.toThrow(/password authentication failed/);

      // Started again (as supervision does), it keeps its data and its own password.
      const hostPort = await restartContainer(docker, a.containerId, 5432);
      const url = new URL(first.url);
      url.port = String(hostPort);
      const again = { ...first, url: url.href };
      expect(await eventually(() => query(again, "select id from orders"), 60_000)).toEqual([{ id: 1 }]);

      // Stopped (an engine restart), an update starts the same container again, data and all.
      await docker.getContainer(a.containerId).stop({ t: 1 });
      const events: string[] = [];
      const ctx = { signal, event: (e: { message?: string }) => void events.push(e.message ?? "") };
      const restarted = await startPostgresAgain({
        docker,
        env: { manifest: { services: { db: { type: "postgres", database: "shop" } } } } as never,
        ctx: ctx as never,
        name: "db",
        current: again,
        logs: new ContainerLogs(docker, "pginit-a", dataDir, new MemoryLogStore()),
        readyTimeoutMs: 60_000,
      });
      expect(postgresContainerHandle(restarted)?.containerId).toBe(a.containerId);
      expect(await query(restarted!, "select id from orders")).toEqual([{ id: 1 }]);
      expect(events).toEqual(["its container again, with its data", `running (${image})`]);
    },
  );

  it(
    "builds the image again once it is gone, rather than run a remembered one",
    { timeout: 120_000 },
    async () => {
      // A database of its own: no other suite runs this image, so removing it disturbs nobody.
      const request = { service: "db", user: postgresUser, database: `rebuilt${process.pid}`, signal };
      const image = await images.ensure(request);
      await docker.getImage(image).remove({ force: true });
      expect(await images.ensure(request)).toBe(image);
      expect((await docker.getImage(image).inspect()).Id).toBeTruthy();
      await docker.getImage(image).remove({ force: true });
    },
  );
});
