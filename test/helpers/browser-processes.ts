/** Finds previewd's browsers from /proc, independently of previewd's code; reads PNG sizes. */
import { liveProcesses } from "./processes.ts";

/**
 * Pids of live processes labelled `PREVIEWD_ROLE=browser` for `owner` (and `envId`). With
 * `mainOnly`, only the browser's main process (the leader of its process group).
 */
export function browserPids(owner: string, envId?: string, options: { mainOnly?: boolean } = {}): number[] {
  return liveProcesses()
    .filter(
      ({ pid, environ, stat }) =>
        environ.includes(`PREVIEWD_OWNER=${owner}`) &&
        environ.includes("PREVIEWD_ROLE=browser") &&
        (envId === undefined || environ.includes(`PREVIEWD_ENV_ID=${envId}`)) &&
        (!options.mainOnly || Number(stat[2]) === pid),
    )
    .map((p) => p.pid);
}

/** Width and height from a PNG's IHDR chunk; throws if it is not a PNG. */
export function pngSize(png: Buffer | Uint8Array): { width: number; height: number } {
  const buffer = Buffer.from(png);
  if (buffer.subarray(0, 8).toString("hex") !== "89504e470d0a1a0a") throw new Error("not a PNG");
  return { width: buffer.readUInt32BE(16), height: buffer.readUInt32BE(20) };
}
