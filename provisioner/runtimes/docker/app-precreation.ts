/**
 * An app's first container, created ahead of its start: as soon as its image is known and the
 * services it uses have containers (so its env, with their URLs, is settled), while Postgres
 * starts and the apps it depends on become healthy. Its start is then only `docker start`; a
 * create costs ~0.1–0.3 s on an idle engine and seconds on a busy one. Created but not started,
 * it runs nothing and holds no address on the network; it carries the environment's labels like
 * any container, so a failed provision or a crashed previewd removes it with the rest. It is used
 * only if the app's container spec is still the one it was created with; otherwise it is removed
 * and the start creates one as before.
 */
import type Docker from "dockerode";
import { servicesUsedBy } from "../deploy-schedule.ts";
import type { Deployment, RuntimeEnvironment } from "../runtime.ts";
import { appContainerOptions, appContainerSpec } from "./app-container.ts";
import { ignoreGone } from "./docker-engine.ts";
import type { EnvironmentNetwork } from "./docker-objects.ts";
import { createOwnedContainer } from "./run-container.ts";

export interface PrecreationOptions {
  docker: Docker;
  owner: string;
  env: RuntimeEnvironment;
  /** The deployment being provisioned: which services have containers, which apps have one already. */
  deployment: Deployment;
}

/** What an app's spec needs besides its image: the network, and the flags URL containers use. */
export interface PrecreationNetwork {
  network: EnvironmentNetwork;
  flagsUrl: string;
}

export class AppPrecreation {
  readonly #o: PrecreationOptions;
  readonly #made = new Map<string, { hash: string; id: Promise<string | undefined> }>();
  #settled = false;

  constructor(options: PrecreationOptions) {
    this.#o = options;
  }

  /** Creates the app's container now, if everything it is made from is known and it has none yet. */
  offer(app: string, image: string | undefined, on: PrecreationNetwork | undefined): void {
    const { docker, owner, env, deployment } = this.#o;
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
    const id = createOwnedContainer(docker, options).then(
      (container) => container.id,
      () => undefined,
    );
    this.#made.set(app, { hash: spec.hash, id });
  }

  /** Waits for every create still in flight, and takes no more: a failed provision removes what they made after. */
  async settle(): Promise<void> {
    this.#settled = true;
    await Promise.all([...this.#made.values()].map((made) => made.id));
  }

  /**
   * The container created ahead for the app if it was made with the spec of this hash and the app
   * has no other container; one made otherwise is removed.
   */
  async take(app: string, hash: string): Promise<string | undefined> {
    const made = this.#made.get(app);
    if (!made) return undefined;
    this.#made.delete(app);
    const id = await made.id;
    if (id === undefined) return undefined;
    if (made.hash === hash && !this.#o.deployment.apps[app]) return id;
    await ignoreGone(this.#o.docker.getContainer(id).remove({ force: true }));
    return undefined;
  }
}
