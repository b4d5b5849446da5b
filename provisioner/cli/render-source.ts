/**
 * What `previewd render` renders: the manifest, ref, commit and environment id exactly as
 * `previewd up` with the same arguments would get them from the server (the same source
 * resolution, so the same id and namespace), without a running previewd.
 */
import os from "node:os";
import path from "node:path";
import type { CreateEnvironmentRequest } from "../environments/environment-schema.ts";
import { silentLogger } from "../logger.ts";
import type { Manifest } from "../manifest/manifest-schema.ts";
import { environmentId } from "../orchestrator/environment-id.ts";
import { resolveSource } from "../orchestrator/source-resolver.ts";
import { createRepoSources } from "../sources/repo-source.ts";
import { createWorktreeManager } from "../sources/worktree-manager.ts";

export interface RenderSource {
  id: string;
  ref: string;
  commit: string;
  manifest: Manifest;
}

export async function resolveRenderSource(
  request: Pick<CreateEnvironmentRequest, "repo" | "ref" | "dir" | "worktree">,
): Promise<RenderSource> {
  // Local repositories only: nothing is cloned or checked out, so these folders stay unused.
  const scratch = path.join(os.tmpdir(), "previewd-render");
  const source = await resolveSource(request, {
    sources: createRepoSources({ cacheDir: path.join(scratch, "repos"), logger: silentLogger }),
    worktrees: createWorktreeManager({ worktreesDir: path.join(scratch, "worktrees"), logger: silentLogger }),
  });
  return {
    id: environmentId(source.manifest.name, source.ref, source.key),
    ref: source.ref,
    commit: source.commit,
    manifest: source.manifest,
  };
}
