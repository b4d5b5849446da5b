/** Which ffmpeg encodes recordings: the first `ffmpeg` on previewd's PATH (Debian's `ffmpeg` package). */
import { access, constants } from "node:fs/promises";
import path from "node:path";
import { FfmpegUnavailableError } from "./recording-errors.ts";

export async function findFfmpeg(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dirs = (env.PATH ?? "").split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, "ffmpeg");
    if (await isExecutable(candidate)) return candidate;
  }
  throw new FfmpegUnavailableError(
    `recording a video needs ffmpeg, and there is none on previewd's PATH (${dirs.join(path.delimiter) || "empty"}): ` +
      "install it (apt-get install ffmpeg) and start recording again",
  );
}

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}
