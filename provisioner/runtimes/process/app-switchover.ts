/**
 * Starting or replacing an app on the process runtime without downtime. The new process gets a
 * port of its own beside the process serving; once it is healthy the app's front (its stable
 * address, fronts/app-front.ts) is pointed at it, the record names it, and only then does the
 * old process stop: once the connections it serves are done, or `drainMs` passed, SIGTERM, then
 * SIGKILL after the grace period. Once none is left, nothing reaches it any more: the switch is
 * done while it shuts down, and the environment's next step waits for that instead. A new
 * process that fails its start or health check is stopped and leaves the old one serving and
 * the record as it was.
 */
import {
  keepFront,
  frontUrl,
  startFront,
  stopFront,
  type Front,
  type FrontPlace,
} from "../fronts/app-front.ts";
import { drainConnections } from "../fronts/open-connections.ts";
import type { DeployedApp, Deployment, RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import { startApp } from "./app-process.ts";
import { interpolationValues } from "./interpolation-values.ts";
import { appHandle, type AppHandle } from "./process-handles.ts";
import { stopGroups } from "./process-group.ts";
import { isOurs } from "./process-scan.ts";
import type { ProcessEnvironment } from "./process-steps.ts";

export interface SwitchAppOptions {
  env: RuntimeEnvironment;
  ctx: RuntimeContext;
  app: string;
  owner: string;
  state: ProcessEnvironment;
  /** Changed in place, and checkpointed at each step. */
  deployment: Deployment;
  /** Every app's front port (this app's included): what `${apps.<a>.internalUrl}` names. */
  fronts: Record<string, number>;
  inputHash: string;
  healthTimeoutMs: number;
  stopGraceMs: number;
  /** How long a replaced process may finish the connections it serves before it is stopped. */
  drainMs: number;
  /** Called once the new process is spawned, and on a first start its front's (never if that fails first). */
  spawned?: () => void;
}

export async function switchApp(o: SwitchAppOptions): Promise<void> {
  const { env, ctx, app, deployment, state } = o;
  const place: FrontPlace = { owner: o.owner, envId: env.id, dataDir: env.dataDir, app };
  const previous = deployment.apps[app];
  const old = appHandle(previous);
  const serving = old !== undefined && (await isOurs(old.pid, o.owner, env.id, app));
  const port = await state.ports.allocate();
  const frontPort = o.fronts[app] ?? port;
  // An app's first start: its front (a process of its own) starts once the app is spawned, while
  // both boot, rather than once the app is healthy. It points at the new port; nothing names it yet.
  const firstStart = !serving && !old?.front;
  let early: Promise<Front> | undefined;
  let spawned: AppHandle | undefined;
  const stopNew = async () => {
    if (spawned) await stopGroups([{ pgid: spawned.pgid, role: "app" }], o.stopGraceMs);
    state.ports.release(port);
    if (previous) delete previous.handle.next;
    // One that failed to start stopped itself.
    const front = await early?.catch(() => undefined);
    if (front) await stopFront(place, front);
  };
  let started: DeployedApp;
  try {
    started = await startApp({
      env,
      ctx,
      app,
      owner: o.owner,
      port,
      values: interpolationValues(env, deployment, o.fronts, app, port),
      inputHash: o.inputHash,
      output: state.output,
      healthTimeoutMs: o.healthTimeoutMs,
      stopGraceMs: o.stopGraceMs,
      ...(old?.front && { front: old.front }),
      onSpawned: async (starting) => {
        spawned = appHandle(starting);
        if (firstStart) {
          early = startFront(place, frontPort, port, o.spawned);
          early.catch(() => undefined); // Awaited below, or by stopNew.
        } else o.spawned?.();
        // On record before the health wait, beside the process serving: a previewd killed now
        // finds both (and recovery stops both, found by their labels anyway).
        if (serving && previous) previous.handle.next = starting.handle;
        else deployment.apps[app] = starting;
        await ctx.checkpoint(structuredClone(deployment));
      },
    });
  } catch (error) {
    await stopNew();
    throw error;
  }

  // Recorded before fronts, the old process listens on what becomes the front's port: it stops
  // first, this once.
  const legacy = serving && !old.front;
  if (legacy) await retire(o, old, true);
  let front: Front;
  try {
    front = await (early ?? keepFront(place, old?.front, frontPort, port));
  } catch (error) {
    // With its old process gone, the new one serves at its own port rather than not at all.
    if (legacy) deployment.apps[app] = started;
    else await stopNew();
    throw error;
  }
  state.ports.reserve(front.port); // A legacy process gave it back as it stopped.
  deployment.apps[app] = { ...started, directUrl: frontUrl(front), handle: { ...started.handle, front } };
  await ctx.checkpoint(structuredClone(deployment));
  if (serving && !legacy) {
    ctx.event({
      step: "start",
      app,
      status: "info",
      message: `now serving from port ${port}; old process stopping`,
    });
    await retire(o, old);
  } else if (old && !serving && old.port !== front.port) {
    state.ports.release(old.port); // It died: nothing holds its port.
  }
}

/**
 * Lets the old process finish what it serves (up to `drainMs`), then stops it and frees its port.
 * With nothing left open, its stop goes on in `state.retiring` rather than being waited for (a
 * previewd killed meanwhile finds it by its labels, off the record, and stops it); `untilGone`
 * waits all the same.
 */
async function retire(o: SwitchAppOptions, old: AppHandle, untilGone = false): Promise<void> {
  const open = await drainConnections(old.pid, old.port, o.drainMs, o.ctx.signal);
  const stopped = stopGroups([{ pgid: old.pgid, role: "app" }], o.stopGraceMs).then(() =>
    o.state.ports.release(old.port),
  );
  if (open === 0 && !untilGone) {
    const retiring: Promise<void> = stopped
      .catch(() => undefined)
      .finally(() => o.state.retiring.delete(retiring));
    o.state.retiring.add(retiring);
    return;
  }
  await stopped;
  if (open > 0)
    o.ctx.event({
      step: "start",
      app: o.app,
      status: "info",
      message: `old process stopped with ${open} connection(s) still open after ${o.drainMs} ms`,
    });
}
