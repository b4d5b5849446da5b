/** The two refusals of the request guard; the edge maps them to 403 problem+json like every PreviewdError. */
import { PreviewdError } from "../errors.ts";

/** The Host header names none of previewd's own hosts (DNS rebinding, or a name nobody allowed). */
export class ForbiddenHostError extends PreviewdError {
  readonly status = 403;
  readonly type = "forbidden-host";
}

/** The request comes from a web page whose origin is not previewd's own (cross-site request). */
export class ForbiddenOriginError extends PreviewdError {
  readonly status = 403;
  readonly type = "forbidden-origin";
}
