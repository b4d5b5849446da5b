/**
 * A previewd for a docker suite: it joins the other docker suites first (see docker-engine.ts),
 * and closing it also leaves them and removes whatever its owner label still marks on the engine.
 */
import { ownerIdOf } from "../../provisioner/owner-id.ts";
import { joinDockerSuites, removeOwned } from "./docker-engine.ts";
import { startHarness, type Harness } from "./previewd-harness.ts";

export interface DockerHarness extends Harness {
  /** The owner label of everything this previewd creates. */
  owner: string;
}

export async function startDockerHarness(
  options: Parameters<typeof startHarness>[0] = {},
): Promise<DockerHarness> {
  const leave = await joinDockerSuites();
  const harness = await startHarness(options).catch(async (error: unknown) => {
    await leave();
    throw error;
  });
  const owner = ownerIdOf(harness.dataDir);
  return {
    ...harness,
    owner,
    async close(options) {
      await harness.close(options);
      await leave();
      await removeOwned(owner);
    },
  };
}
