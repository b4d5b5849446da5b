/** The recordings' typed errors; the HTTP edge maps them to problem+json like every PreviewdError. */
import { PreviewdError, UnavailableError } from "../../provisioner/errors.ts";

/** No `ffmpeg` on previewd's PATH: nothing was started. */
export class FfmpegUnavailableError extends UnavailableError {
  readonly type = "ffmpeg-unavailable";
}

/** ffmpeg could not turn the frames into a WebM; the partial file was removed. */
export class EncodingError extends PreviewdError {
  readonly status = 500;
  readonly type = "recording-encoding";
}
