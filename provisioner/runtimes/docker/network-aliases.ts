/**
 * Moving an app's name on the environment's network (its alias, what `${apps.<a>.internalUrl}`
 * names) from its old container to its new one. Docker sets a container's aliases when it joins
 * a network, so the new container, started without the name while the old one serves, joins again
 * with it once healthy (both answer to it for a moment: Docker's DNS gives every container with
 * the alias), and the old one joins again without it before it stops.
 *
 * Joining again gives up the container's address and takes the lowest free one: the same, unless
 * a lower one came free meanwhile, or another container took it — and then the connections the
 * container opened (to its database, say) would break. So a join of one environment runs while
 * nothing else of it takes or frees an address, and no container gives up its address for good
 * (stops) while a new one waits to join again. New containers taking their first address do not
 * disturb each other, so several may start at once (unless `sharedStarts` is off, to measure).
 */
import { Semaphore } from "async-mutex";
import type Docker from "dockerode";
import { publishedPort } from "./run-container.ts";

/** More than the containers of one environment that could ever start at once. */
const everyone = 1_000;

export class AliasMoves {
  /** Starts take one unit of it, joins and releases all: a readers-writer lock, first come first served. */
  readonly #lock = new Semaphore(everyone);
  readonly #startWeight: number;
  #waiting = 0;
  #settled: (() => void)[] = [];

  constructor(options: { sharedStarts?: boolean } = {}) {
    this.#startWeight = options.sharedStarts === false ? everyone : 1;
  }

  /** Runs a new container's start (it takes its first address) beside other starts, never beside a join. */
  starting<T>(work: () => Promise<T>): Promise<T> {
    return this.#lock.runExclusive(work, this.#startWeight);
  }

  /** Runs a join while nothing else of the environment takes or frees an address. */
  joining<T>(work: () => Promise<T>): Promise<T> {
    return this.#lock.runExclusive(work, everyone);
  }

  /** A new container that will join again with its name: address releases wait until `done()`. */
  expect(): () => void {
    this.#waiting++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#waiting--;
      if (this.#waiting > 0) return;
      for (const wake of this.#settled.splice(0)) wake();
    };
  }

  /** Runs `work`, which frees an address for good (a container stopping), once no join is awaited. */
  async releasing<T>(work: () => Promise<T>): Promise<T> {
    while (this.#waiting > 0) await new Promise<void>((resolve) => this.#settled.push(resolve));
    return this.#lock.runExclusive(work, everyone);
  }
}

export interface Rejoined {
  /** Its address on the network before and after. */
  before?: string;
  after?: string;
  /** Its port published on 127.0.0.1: leaving the network drops the publishing, joining publishes anew. */
  hostPort?: number;
}

/** The container leaves `network` and joins it again with `aliases`. */
export async function rejoin(
  docker: Docker,
  network: string,
  containerId: string,
  aliases: string[],
  containerPort: number,
): Promise<Rejoined> {
  const container = docker.getContainer(containerId);
  const before = (await container.inspect()).NetworkSettings.Networks?.[network]?.IPAddress;
  await docker.getNetwork(network).disconnect({ Container: containerId });
  await docker.getNetwork(network).connect({ Container: containerId, EndpointConfig: { Aliases: aliases } });
  const info = await container.inspect();
  const after = info.NetworkSettings.Networks?.[network]?.IPAddress;
  const hostPort = publishedPort(info, containerPort);
  return { ...(before && { before }), ...(after && { after }), ...(hostPort && { hostPort }) };
}
