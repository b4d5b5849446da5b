/** Finds previewd's browsers from /proc, independently of previewd's code; reads PNG sizes. */
import { readdirSync, readFileSync } from "node:fs";

/**
 * Pids of live processes labelled `PREVIEWD_ROLE=browser` for `owner` (and `envId`). With
 * `mainOnly`, only the browser's main process (the leader of its process group).
 */
export function browserPids(owner: string, envId?: string, options: { mainOnly?: boolean } = {}): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z") continue;
      if (!environ.includes(`PREVIEWD_OWNER=${owner}`) || !environ.includes("PREVIEWD_ROLE=browser"))
        continue;
      if (envId !== undefined && !environ.includes(`PREVIEWD_ENV_ID=${envId}`)) continue;
      if (options.mainOnly && Number(fields[2]) !== Number(entry)) continue;
      pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** Width and height from a PNG's IHDR chunk; throws if it is not a PNG. */
export function pngSize(png: Buffer | Uint8Array): { width: number; height: number } {
  const buffer = Buffer.from(png);
  if (buffer.subarray(0, 8).toString("hex") !== "89504e470d0a1a0a") throw new Error("not a PNG");
  return { width: buffer.readUInt32BE(16), height: buffer.readUInt32BE(20) };
}
