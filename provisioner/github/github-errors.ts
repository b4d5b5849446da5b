/** Errors of the GitHub integration; the API edge maps them to problem+json like every PreviewdError. */
import { PreviewdError } from "../errors.ts";

/** A GitHub feature was asked for but its settings (secret, token) are missing. */
export class GitHubNotConfiguredError extends PreviewdError {
  readonly status = 503;
  readonly type = "github-not-configured";
}

/** GitHub answered with an error (after retries). */
export class GitHubApiError extends PreviewdError {
  readonly status = 502;
  readonly type = "github";
}
