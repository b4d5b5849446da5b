/**
 * An app's first container, created ahead of its start: as soon as its image is known and the
 * services it uses have containers (so its env, with their URLs, is settled), while Postgres
 * starts and the apps it depends on become healthy. Its start is then only `docker start`; a
 * create costs ~0.1–0.3 s on an idle engine and seconds on a busy one. Created but not started,
 * it runs nothing and holds no address on the network; it carries the environment's labels like
 * any container, so a failed provision or a crashed previewd removes it with the rest. It is used
 * only if the app's container spec is still the one it was created with; otherwise it is removed
 * and the start creates one as before. With `hold`, it is also started ahead, its process held
 * until its turn (held-start.ts).
 */
import type Docker from "dockerode";
import { servicesUsedBy } from "../deploy-schedule.ts";
import type { Deployment, RuntimeEnvironment } from "../runtime.ts";
import { appContainerOptions, appContainerSpec } from "./app-container.ts";
import { ignoreGone } from "./docker-engine.ts";
import type { EnvironmentNetwork } from "./docker-objects.ts";
import { heldOptions, startHeld, stillHeld } from "./held-start.ts";
import { createOwnedContainer } from "./run-container.ts";

export interface PrecreationOptions {
  docker: Docker;
  owner: string;
  env: RuntimeEnvironment;
  /** The deployment being provisioned: which services have containers, which apps have one already. */
  deployment: Deployment;
  /** Start the containers too, their process held until `take` (held-start.ts). */
  hold?: boolean;
}

/** A container made ahead: created, or started and held (then with the port it got on 127.0.0.1). */
export interface MadeAhead {
  id: string;
  heldOnPort?: number;
}

/** What an app's spec needs besides its image: the network, and the flags URL containers use. */
export interface PrecreationNetwork {
  network: EnvironmentNetwork;
  flagsUrl: string;
}

export class AppPrecreation {
  readonly #o: PrecreationOptions;
  readonly #made = new Map<string, { hash: string; made: Promise<MadeAhead | undefined> }>();
  #settled = false;
  /**
   * Held starts wait until every service's container has started: started beside it, they slowed
   * Postgres's own start (~2.4 s → ~6 s at load ~10, the engine publishing four ports at once).
   */
  #openGate = () => {};
  readonly #servicesStarted = new Promise<void>((resolve) => (this.#openGate = resolve));

  constructor(options: PrecreationOptions) {
    this.#o = options;
  }

  /** Creates the app's container now, if everything it is made from is known and it has none yet. */
  offer(app: string, image: string | undefined, on: PrecreationNetwork | undefined): void {
    const { owner, env, deployment } = this.#o;
    if (Object.keys(env.manifest.services).every((name) => deployment.services[name])) this.#openGate();
    if (
      this.#settled ||
      this.#made.has(app) ||
      image === undefined ||
      on === undefined ||
      deployment.apps[app]
    )
      return;
    if (!servicesUsedBy(env.manifest, app).every((name) => deployment.services[name])) return;
    let spec: ReturnType<typeof appContainerSpec>;
    try {
      spec = appContainerSpec(env, deployment, app, image, on.flagsUrl);
    } catch {
      return; // The start reports it.
    }
    const options = appContainerOptions({
      owner,
      env,
      app,
      spec,
      network: on.network,
      generation: 1,
      aliases: [app],
    });
    // A failure here is no failure of the provision: the start creates the container itself.
    const made = this.#make(app, options, spec.port).catch(() => undefined);
    this.#made.set(app, { hash: spec.hash, made });
  }

  async #make(app: string, options: Docker.ContainerCreateOptions, port: number): Promise<MadeAhead> {
    const { docker, env } = this.#o;
    const held = this.#o.hold ? await heldOptions(docker, options) : undefined;
    if (!held) return { id: (await createOwnedContainer(docker, options)).id };
    const { id } = await createOwnedContainer(docker, held);
    await this.#servicesStarted;
    // The apps it depends on are released first: their held starts go first too.
    const before = env.manifest.apps[app]?.depends_on.map((dep) => this.#made.get(dep)?.made) ?? [];
    await Promise.all(before);
    if (this.#settled) return { id };
    const heldOnPort = await startHeld(docker, id, port);
    // It could not hold (no shell in the image?): created as it would be without holding.
    if (heldOnPort === undefined) return { id: (await createOwnedContainer(docker, options)).id };
    return { id, heldOnPort };
  }

  /** Waits for every create still in flight, and takes no more: a failed provision removes what they made after. */
  async settle(): Promise<void> {
    this.#settled = true;
    this.#openGate();
    await Promise.all([...this.#made.values()].map((entry) => entry.made));
  }

  /**
   * The container created ahead for the app if it was made with the spec of this hash and the app
   * has no other container; one made otherwise is removed.
   */
  async take(app: string, hash: string): Promise<MadeAhead | undefined> {
    const entry = this.#made.get(app);
    if (!entry) return undefined;
    this.#made.delete(app);
    const made = await entry.made;
    if (made === undefined) return undefined;
    if (entry.hash === hash && !this.#o.deployment.apps[app]) {
      // A held container that exited meanwhile is removed; the start makes a new one.
      if (made.heldOnPort === undefined || (await stillHeld(this.#o.docker, made.id))) return made;
      return undefined;
    }
    await ignoreGone(this.#o.docker.getContainer(made.id).remove({ force: true }));
    return undefined;
  }
}
