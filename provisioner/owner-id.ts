import { sha256Hex } from "./sources/slug.ts";

/** Every process and container previewd starts is labelled with the owner id of its data dir. */
export function ownerIdOf(dataDir: string): string {
  return sha256Hex(dataDir, 12);
}
