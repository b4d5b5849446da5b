/**
 * App processes of an environment that its record does not name: an old instance still draining
 * after a redeploy switched (app-switchover.ts), or a new one an update had started, when previewd
 * stopped without finishing. A previewd that adopts the environment stops them; nothing else would.
 */
import type { Deployment } from "../runtime.ts";
import { appHandle } from "./process-handles.ts";
import { stopGroups } from "./process-group.ts";
import { scanProcesses } from "./process-scan.ts";

export async function stopUnrecordedInstances(
  owner: string,
  envId: string,
  deployment: Deployment,
  graceMs: number,
): Promise<number[]> {
  const recorded = new Set(Object.values(deployment.apps).map((app) => appHandle(app)?.pgid));
  const strays = (await scanProcesses({ owner, envId })).filter(
    (p) => p.role === "app" && !recorded.has(p.pgid),
  );
  await stopGroups(
    strays.map((p) => ({ pgid: p.pgid, role: "app" as const })),
    graceMs,
  );
  return [...new Set(strays.map((p) => p.pgid))];
}
