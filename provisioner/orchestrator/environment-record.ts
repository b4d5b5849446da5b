/**
 * What previewd remembers about an environment, persisted in state.json. The public view
 * (SPEC's environment object) is derived from it by `toView`.
 */
import type {
  EnvironmentError,
  EnvironmentStatus,
  EnvironmentView,
  FlagValue,
  RuntimeName,
  SeedState,
  Timings,
} from "../environments/environment-schema.ts";
import type { Manifest } from "../manifest/manifest-schema.ts";
import type { Deployment } from "../runtimes/runtime.ts";
import { ofrepBaseUrl } from "../flags/ofrep-base-url.ts";
import type { ResolvedRepo } from "../sources/repo-source.ts";
import { environmentId } from "./environment-id.ts";
import type { ResolvedSource } from "./source-resolver.ts";
import { withEveryPhase } from "./timing-phases.ts";

export interface EnvironmentRecord {
  id: string;
  /** Identity: one environment per (repo, ref, dir). */
  key: string;
  name: string;
  /** The repo as the caller gave it. */
  repo: string;
  /** The resolved repository: the local repo or previewd's clone of a URL. */
  source: ResolvedRepo;
  /** The caller's worktree run in place (`worktree` requests), else undefined. */
  callerWorktree?: string;
  ref: string;
  commit: string;
  dir: string | null;
  /** The git worktree the environment runs from (previewd's own, or the caller's). */
  worktreePath: string | null;
  runtime: RuntimeName;
  status: EnvironmentStatus;
  /** The scenario asked for (at creation) or last loaded. */
  scenario: string | null;
  /** What the data holds now; absent in state written before seed scenarios existed. */
  seed?: SeedState;
  /** Each app's input hash when the data snapshot was taken (snapshot-refresh.ts); absent: unknown. */
  snapshotInputs?: Record<string, string>;
  flags: Record<string, FlagValue>;
  timings: Timings;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  error: EnvironmentError | null;
  manifest: Manifest;
  deployment?: Deployment;
}

export interface ViewContext {
  /** `http://<app>--<id>.<base-domain>:<port>` */
  appUrl(id: string, app: string): string;
  /** previewd's own loopback origin, e.g. `http://127.0.0.1:7070`. */
  origin: string;
  /** The environment's CDP bridge endpoints, when the bridge is on and its browserUrl is open. */
  devtools?(id: string): DevtoolsView | undefined;
}

/** The environment object's `devtools` (devtools-bridge/devtools-endpoints.ts makes it). */
export interface DevtoolsView {
  http: string;
  webSocketDebuggerUrl: string;
  browserUrl: string;
}

export function toView(record: EnvironmentRecord, context: ViewContext): EnvironmentView {
  const deployment = record.deployment;
  const pending = record.status === "provisioning" || record.status === "updating";
  return {
    id: record.id,
    name: record.name,
    repo: record.repo,
    ref: record.ref,
    dir: record.dir,
    commit: record.commit,
    runtime: record.runtime,
    status: record.status,
    scenario: record.scenario,
    seed: record.seed ?? null,
    apps: Object.fromEntries(
      Object.keys(record.manifest.apps).map((app) => {
        const deployed = deployment?.apps[app];
        const status = deployed?.status ?? (pending ? "pending" : "stopped");
        return [app, { url: context.appUrl(record.id, app), directUrl: deployed?.directUrl ?? null, status }];
      }),
    ),
    services: Object.fromEntries(
      Object.entries(record.manifest.services).map(([name, spec]) => {
        const deployed = deployment?.services[name];
        return [name, { type: spec.type, status: deployed?.status ?? (pending ? "pending" : "stopped") }];
      }),
    ),
    flags: record.flags,
    flagsUrl: ofrepBaseUrl(context.origin, record.id),
    devtools: context.devtools?.(record.id) ?? null,
    timings: withEveryPhase(record.timings),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    expiresAt: record.expiresAt,
    error: record.error,
  };
}

/** A new environment's record, before anything is provisioned. */
export function newRecord(init: {
  source: ResolvedSource;
  runtime: RuntimeName;
  flags: Record<string, FlagValue>;
  scenario: string | null;
  now: Date;
  expiresAt: string | null;
}): EnvironmentRecord {
  const { source } = init;
  const name = source.manifest.name;
  return {
    id: environmentId(name, source.ref, source.key),
    key: source.key,
    name,
    repo: source.repo.canonical,
    source: source.repo,
    ...(source.callerWorktree && { callerWorktree: source.callerWorktree }),
    ref: source.ref,
    commit: source.commit,
    dir: source.dir,
    worktreePath: source.callerWorktree ?? null,
    runtime: init.runtime,
    status: "provisioning",
    scenario: init.scenario,
    flags: init.flags,
    timings: {},
    createdAt: init.now.toISOString(),
    updatedAt: init.now.toISOString(),
    expiresAt: init.expiresAt,
    error: null,
    manifest: source.manifest,
  };
}
