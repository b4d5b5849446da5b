/** Errors of the GitHub integration; the API edge maps them to problem+json like every PreviewdError. */
import { UnavailableError, UpstreamError } from "../errors.ts";

/** A GitHub feature was asked for but its settings (secret, token) are missing. */
export class GitHubNotConfiguredError extends UnavailableError {
  readonly type = "github-not-configured";
}

/** GitHub answered with an error (after retries). */
export class GitHubApiError extends UpstreamError {
  readonly type = "github";
}
