/**
 * Snapshots taken ahead. A new branch usually rebuilds one app while the others are up long before
 * it. Once every service is up, every app that uses a Postgres service (depends_on, or its env or
 * build_env names it) is healthy, no app is releasing or starting, and a build is under way, that
 * service's snapshot is taken then, beside the build, rather than after it. Not while a build
 * whose environment names an app or a service is under way or still to come: it might ask the
 * database, or an app that does, while the snapshot cuts its sessions. At the end of the
 * provision the snapshot stands only if nothing wrote to the database since
 * (postgres-snapshot.ts): an app that does not name the database may still write to it through
 * one that does. Otherwise it is taken again, as without. An app's release or start waits for a
 * snapshot being taken, which cuts the database's sessions and refuses new ones meanwhile.
 */
import { snapshotStillCurrent, takeSnapshotAhead } from "../../seed-scenarios/postgres-snapshot.ts";
import { SqlSessions } from "../../seed-scenarios/sql-sessions.ts";
import type { Manifest } from "../manifest/manifest-schema.ts";
import { parseTemplate } from "../manifest/interpolate.ts";
import { servicesUsedBy } from "../runtimes/deploy-schedule.ts";
import type { Deployment, RuntimeContext } from "../runtimes/runtime.ts";

interface Taken {
  url: string;
  /** What snapshotStillCurrent checks; undefined: it cannot be checked, so it never stands. */
  next: string | undefined;
}

export interface SnapshotsAheadOptions {
  manifest: Manifest;
  /** The deployment so far (the runtime checkpoints it as services and apps come up). */
  deployment: () => Deployment | undefined;
  /** Whether the environment gets snapshots at all (it uses scenarios); asked once one would be taken. */
  wanted: () => Promise<boolean>;
  /** Says what it did, as the seed step's `info` events. */
  report: (message: string) => void;
}

export class SnapshotsAhead {
  /**
   * A session to each database snapshotted ahead, opened then, for the scenario's `sql` steps:
   * one costs 10-50 ms to open, which the first step would otherwise wait for. The seed's load
   * closes them as its own; the provision, those it did not take.
   */
  readonly sessions = new SqlSessions();
  readonly #o: SnapshotsAheadOptions;
  /** By service: never rejects. */
  readonly #taken = new Map<string, Promise<Taken | undefined>>();
  readonly #healthy = new Set<string>();
  /** Apps releasing or starting now. */
  #starting = 0;
  /** Builds (or copies of one) under way. */
  #building = 0;

  constructor(options: SnapshotsAheadOptions) {
    this.#o = options;
  }

  /** `ctx`, its apps' releases and starts watched and held while a snapshot is being taken. */
  watch(ctx: RuntimeContext): RuntimeContext {
    return {
      ...ctx,
      event: (event) => {
        if (event.step === "health" && event.status === "succeeded" && event.app)
          this.#healthy.add(event.app);
        ctx.event(event);
      },
      phase: async (name, work) => {
        if (name === "build") {
          this.#building += 1;
          try {
            return await ctx.phase(name, work);
          } finally {
            this.#building -= 1;
          }
        }
        if (name !== "release" && name !== "start") return ctx.phase(name, work);
        this.#starting += 1;
        let ended = false;
        try {
          await this.settled();
          const result = await ctx.phase(name, work);
          ended = true;
          return result;
        } finally {
          this.#starting -= 1;
          // Not after a failure: the provision is ending, and nothing is left to snapshot.
          if (ended && !ctx.signal.aborted) this.#consider();
        }
      },
    };
  }

  /** Whether `service`'s snapshot, taken ahead of `url`, stands; false if none was. */
  async stands(service: string, url: string): Promise<boolean> {
    const taken = await this.#taken.get(service);
    const next = taken?.url === url ? taken.next : undefined;
    const current = next !== undefined && (await snapshotStillCurrent(url, next).catch(() => false));
    if (!current && taken) this.sessions.discard(taken.url); // Taking it again cuts every session.
    if (next === undefined) return false;
    this.#o.report(
      current
        ? `the snapshot of ${service} taken ahead stands: nothing wrote to it since`
        : `the snapshot of ${service} taken ahead is taken again: a transaction ran in its Postgres since`,
    );
    return current;
  }

  /** Once no snapshot is being taken ahead. */
  async settled(): Promise<void> {
    await Promise.all(this.#taken.values());
  }

  #consider(): void {
    const { manifest } = this.#o;
    const deployment = this.#o.deployment();
    if (this.#starting > 0 || this.#building === 0 || !deployment) return;
    const coming = Object.keys(manifest.apps).filter((app) => !this.#healthy.has(app));
    if (coming.length === 0 || coming.some((app) => buildNamesOthers(manifest, app))) return;
    if (!Object.keys(manifest.services).every((name) => deployment.services[name])) return;
    for (const [service, spec] of Object.entries(manifest.services)) {
      if (spec.type !== "postgres" || this.#taken.has(service)) continue;
      const users = Object.keys(manifest.apps).filter((app) =>
        servicesUsedBy(manifest, app, { build: true }).includes(service),
      );
      if (!users.every((app) => this.#healthy.has(app))) continue;
      this.#taken.set(service, this.#take(service, deployment.services[service]!.url));
    }
  }

  async #take(service: string, url: string): Promise<Taken | undefined> {
    try {
      if (!(await this.#o.wanted())) return undefined;
      this.#o.report(`snapshotting ${service} ahead: every app that uses it is up`);
      const next = await takeSnapshotAhead(url);
      if (next !== undefined) this.sessions.open(url); // Else it never stands: taken again, cut.
      return { url, next };
    } catch {
      return undefined;
    }
  }
}

/** Whether `app`'s build environment (the top-level env and its build_env) names an app or a service. */
function buildNamesOthers(manifest: Manifest, app: string): boolean {
  const templates = [
    ...Object.values(manifest.env ?? {}),
    ...Object.values(manifest.apps[app]?.build_env ?? {}),
  ];
  return templates.some((template) => {
    const parsed = parseTemplate(template);
    // One that does not parse fails the build's interpolation anyway; counted as naming, to be safe.
    if ("error" in parsed) return true;
    return parsed.parts.some((part) => "ref" in part && /^(apps|services)\./.test(part.ref));
  });
}
