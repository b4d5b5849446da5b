/**
 * Typed errors for previewd's domain. The HTTP edge maps each to problem+json once
 * (provisioner/api/problem.ts); domain code throws these, never a bare Error.
 */
export interface FieldError {
  /** Dotted field path, e.g. `apps.api.health` or `body.ref`. */
  path: string;
  message: string;
}

export abstract class PreviewdError extends Error {
  abstract readonly status: number;
  /** Short, stable URI-ish slug used as the problem `type`. */
  abstract readonly type: string;
  readonly errors?: FieldError[];
  /** Extra problem+json members (RFC 9457 §3.2), e.g. a failed seed step's index and output. */
  readonly extensions?: Record<string, unknown>;

  constructor(message: string, options?: { cause?: unknown; errors?: FieldError[] }) {
    super(message, options);
    this.name = new.target.name;
    if (options?.errors) this.errors = options.errors;
  }
}

/** The request itself is malformed: wrong field, bad ref, dangerous repo URL. */
export class ValidationError extends PreviewdError {
  readonly status = 400;
  readonly type = "validation";
}

/** `preview.yaml` (or a file it names) is invalid. The message names file, field path and expectation. */
export class ManifestError extends PreviewdError {
  readonly status = 422;
  readonly type = "manifest";
  constructor(
    readonly file: string,
    errors: FieldError[],
    options?: { cause?: unknown },
  ) {
    super(errors.map((e) => `${file}: ${e.path ? `${e.path}: ` : ""}${e.message}`).join("\n"), {
      ...options,
      errors,
    });
  }
}

/** A repository, ref, environment or other named thing does not exist. */
export class NotFoundError extends PreviewdError {
  readonly status = 404;
  readonly type = "not-found";
}

/** The request conflicts with the current state (e.g. deleting an environment already being deleted). */
export class ConflictError extends PreviewdError {
  readonly status = 409;
  readonly type = "conflict";
}

export class UnauthorizedError extends PreviewdError {
  readonly status = 401;
  readonly type = "unauthorized";
}

/** A git operation on a user's repository failed (unreachable remote, missing commit). */
export class SourceError extends PreviewdError {
  readonly status = 422;
  readonly type = "source";
}

/** A provisioning step failed. Carries the step, the app (if any) and the last log lines. */
export class ProvisionError extends PreviewdError {
  readonly status = 500;
  readonly type = "provision";
  constructor(
    message: string,
    readonly step: string,
    readonly app?: string,
    readonly logTail: string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Something previewd needs is missing or not set up; each kind names its own problem type. */
export abstract class UnavailableError extends PreviewdError {
  readonly status = 503;
}

/** Something previewd talks to (GitHub, a browser) answered with an error, or not at all. */
export abstract class UpstreamError extends PreviewdError {
  readonly status = 502;
}

/** A runtime's prerequisites are missing (no docker engine, no pulumi CLI, no kubeconfig). */
export class RuntimeUnavailableError extends UnavailableError {
  readonly type = "runtime-unavailable";
}

/** previewd could not write its state (a full or read-only disk); nothing the request asked for was kept. */
export class StateWriteError extends UnavailableError {
  readonly type = "state-write";
  constructor(file: string, cause: unknown) {
    super(`previewd could not save its state to ${file}: ${errorMessage(cause)}`, { cause });
  }
}

export function isPreviewdError(error: unknown): error is PreviewdError {
  return error instanceof PreviewdError;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
