/** Errors the CLI's HTTP client raises; the CLI prints them without a stack. */
import { PreviewdError } from "../errors.ts";
import type { problemSchema } from "../environments/environment-schema.ts";
import type { z } from "zod";

export type ProblemBody = z.infer<typeof problemSchema> & Record<string, unknown>;

/** The server answered with an RFC 9457 problem (or an error we turned into one). */
export class ApiProblemError extends PreviewdError {
  readonly status: number;
  readonly type: string;
  constructor(readonly problem: ProblemBody) {
    super(problem.detail ?? problem.title, { errors: problem.errors });
    this.status = problem.status;
    this.type = problem.type;
  }
}

/** Nothing answers at the server URL. */
export class ServerUnreachableError extends PreviewdError {
  readonly status = 503;
  readonly type = "unreachable";
  constructor(
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(`previewd is not running at ${url} (start it with \`previewd serve\`)`, options);
  }
}
