/**
 * Starting or replacing an app on the docker runtime without downtime. The new container (the
 * next generation: `previewd-<env>-<app>_<n>`, same labels) starts beside the one serving, without
 * the app's name on the network; once it is healthy it takes the name (network-aliases.ts), the
 * app's front (its stable loopback address, fronts/app-front.ts) is pointed at its published
 * port, and the record names it. Only then does the old container leave the name, finish the
 * connections it serves (or `drainMs` passes), and stop. A new container that fails is removed
 * and leaves the old one serving and the record as it was.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import { keepFront, frontUrl, stopFront, type Front, type FrontPlace } from "../fronts/app-front.ts";
import { ProvisionError } from "../../errors.ts";
import { drainConnections } from "../fronts/open-connections.ts";
import { step } from "../provision-steps.ts";
import type { DeployedApp, Deployment, RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import { startAppContainer, type AppContainerSpec } from "./app-container.ts";
import type { MadeAhead } from "./app-precreation.ts";
import { ignoreGone } from "./docker-engine.ts";
import { appContainerHandle, type AppContainerHandle } from "./docker-handles.ts";
import { ENV_LABEL, OWNER_LABEL } from "./docker-labels.ts";
import type { EnvironmentNetwork } from "./docker-objects.ts";
import type { DockerEnvironment } from "./docker-steps.ts";
import { rejoin } from "./network-aliases.ts";
import { isRunningWith } from "./run-container.ts";

/** Seconds a replaced container gets between SIGTERM and SIGKILL, once its connections are done. */
const stopGraceS = 2;

/**
 * How long a replaced container keeps serving once out of the app's name. A client that looked the
 * name up while both containers had it may still connect to the old address: Node's happy
 * eyeballs, say, gives up on the new one after 250 ms when its event loop was busy and tries the
 * old one, whose SYN, sent while it joined again, is only sent once more 1 s later. (Kubernetes
 * asks for the same wait, a preStop sleep, while endpoints are updated.)
 */
const nameGraceMs = 2_000;

export interface SwitchContainerOptions {
  docker: Docker;
  owner: string;
  env: RuntimeEnvironment;
  ctx: RuntimeContext;
  app: string;
  spec: AppContainerSpec;
  network: EnvironmentNetwork;
  flagsPort: number;
  state: DockerEnvironment;
  /** Changed in place, and checkpointed at each step. */
  deployment: Deployment;
  healthTimeoutMs: number;
  /** How long a replaced container may finish the connections it serves before it stops. */
  drainMs: number;
  /** The app's first container, made ahead (app-precreation.ts): started or released instead of a new one. */
  created?: MadeAhead;
}

export async function switchAppContainer(o: SwitchContainerOptions): Promise<void> {
  const { docker, env, ctx, app, deployment, state } = o;
  const moves = state.aliases;
  const previous = deployment.apps[app];
  const old = appContainerHandle(previous);
  const labels = { [OWNER_LABEL]: o.owner, [ENV_LABEL]: env.id };
  const serving = old !== undefined && (await isRunningWith(docker, old.containerId, labels));
  // Stopped or gone (a crash), the old container only makes way.
  if (old && !serving) await moves.releasing(() => remove(docker, old.containerId));
  let created: string | undefined;
  const place: FrontPlace = { owner: o.owner, envId: env.id, dataDir: env.dataDir, app };
  // With no container serving, the front starts while the new one gets healthy (a process spawn,
  // ~0.5 s under load, that the apps depending on this one would otherwise wait for too).
  let early: { port: number; front: Promise<Front> } | undefined;
  /** The app's front (its own, or a new one on a new port), pointed at `to`'s published port. */
  const pointFront = async (to: DeployedApp) => {
    const port = old?.front?.port ?? (await state.ports.allocate());
    const target = appContainerHandle(to)?.hostPort ?? 0;
    early = { port, front: step("start", app, () => keepFront(place, old?.front, port, target)) };
    early.front.catch(() => undefined); // Awaited below, or by giveUp.
    return early;
  };
  const joined = serving ? moves.expect() : () => undefined;
  const giveUp = async () => {
    joined();
    if (early) {
      const { port, front } = early;
      const started = await front.catch(() => undefined);
      if (!old?.front) {
        await stopFront(place, started);
        state.ports.release(port);
      }
    }
    if (created) await moves.releasing(() => remove(docker, created!));
    if (serving) await state.logs.follow(app, old.containerId, true); // Its output again.
    if (previous) delete previous.handle.next;
  };
  let started: DeployedApp;
  try {
    started = await step("start", app, () =>
      startAppContainer({
        docker,
        owner: o.owner,
        env,
        ctx,
        app,
        spec: o.spec,
        network: o.network,
        flagsPort: o.flagsPort,
        generation: (old?.generation ?? 0) + 1,
        aliases: serving ? [] : [app],
        ...(old?.front && { front: old.front }),
        ...(!old && o.created && { created: o.created }),
        starting: (work) => moves.starting(work),
        logs: state.logs,
        healthTimeoutMs: o.healthTimeoutMs,
        onCreated: async (starting) => {
          created = appContainerHandle(starting)?.containerId;
          // On record before the health wait, beside the container serving: a previewd killed now
          // finds both (and recovery removes both, found by their labels anyway).
          if (serving && previous) previous.handle.next = starting.handle;
          else deployment.apps[app] = starting;
          if (!serving) await pointFront(starting);
          await ctx.checkpoint(structuredClone(deployment));
        },
      }),
    );
    if (serving && created) {
      const hostPort = await takeName(o, created);
      started = { ...started, handle: { ...started.handle, hostPort } };
    }
  } catch (error) {
    await giveUp();
    throw error;
  } finally {
    joined();
  }

  let front: Front;
  try {
    front = await (early ?? (await pointFront(started))).front;
  } catch (error) {
    await giveUp();
    throw error;
  }
  deployment.apps[app] = { ...started, directUrl: frontUrl(front), handle: { ...started.handle, front } };
  await ctx.checkpoint(structuredClone(deployment));
  if (serving) {
    ctx.event({
      step: "start",
      app,
      status: "info",
      message: "now serving from the new container; old one stopping",
    });
    await retire(o, old);
  }
}

/** The new container joins the network again, now with the app's name; resolves with its new host port. */
async function takeName(o: SwitchContainerOptions, containerId: string): Promise<number> {
  const { app } = o;
  const moved = await o.state.aliases.joining(() =>
    rejoin(o.docker, o.network.name, containerId, [app], o.spec.port),
  );
  if (moved.hostPort === undefined)
    throw new ProvisionError(
      `${app}'s new container has no port published after taking its name`,
      "start",
      app,
    );
  if (moved.before !== moved.after)
    o.ctx.event({
      step: "start",
      app,
      status: "info",
      message: `its new container's address changed from ${moved.before} to ${moved.after} as it took the name ${app}: connections it opened while starting may break`,
    });
  return moved.hostPort;
}

/**
 * The old container finishes what it serves (up to `drainMs` in all, besides `nameGraceMs`),
 * then goes: first the requests that came through its published port (the front's, from before
 * the switch), since leaving the network drops the publishing; then, out of the app's name so
 * that nothing new reaches it, and `nameGraceMs` later, those of other apps.
 */
async function retire(o: SwitchContainerOptions, old: AppContainerHandle): Promise<void> {
  const { docker } = o;
  let deadline = Date.now() + o.drainMs;
  const left = () => Math.max(0, deadline - Date.now());
  // The published port's proxy accepts in the host's network namespace: previewd's own.
  let open = await drainConnections(process.pid, old.hostPort, left(), o.ctx.signal);
  const info = await docker
    .getContainer(old.containerId)
    .inspect()
    .catch(() => undefined);
  const port = Number(Object.keys(info?.Config.ExposedPorts ?? {})[0]?.split("/")[0]);
  if (port) {
    await o.state.aliases
      .joining(() => rejoin(docker, o.network.name, old.containerId, [], port))
      .catch(() => undefined); // Off the network, it serves nothing new either.
    await sleep(nameGraceMs, undefined, { signal: o.ctx.signal }).catch(() => undefined);
    deadline += nameGraceMs; // Not taken from the drain's time.
    if (info?.State.Pid) open += await drainConnections(info.State.Pid, port, left(), o.ctx.signal);
  }
  await o.state.aliases.releasing(async () => {
    await ignoreGone(docker.getContainer(old.containerId).stop({ t: stopGraceS }));
    await remove(docker, old.containerId);
  });
  if (open > 0)
    o.ctx.event({
      step: "start",
      app: o.app,
      status: "info",
      message: `old container stopped with ${open} connection(s) still open after ${o.drainMs} ms`,
    });
}

async function remove(docker: Docker, id: string): Promise<void> {
  await ignoreGone(docker.getContainer(id).remove({ force: true, v: true }));
}
