import { shortHash } from "./orchestrator/environment-id.ts";

/** Every process and container previewd starts is labelled with the owner id of its data dir. */
export function ownerIdOf(dataDir: string): string {
  return shortHash(dataDir, 12);
}
