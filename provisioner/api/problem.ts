/**
 * The one place where errors become RFC 9457 problem+json responses. Typed previewd errors keep
 * their status and message; body-parser failures become 400/413; anything else is a generic 500
 * whose details go to the log, never to the client. Every answer is capped (detail length, number
 * and size of `errors`), whatever the caller sent: 10,000 bad fields make one small answer.
 */
import { STATUS_CODES } from "node:http";
import type { ErrorRequestHandler, RequestHandler } from "express";
import { z } from "zod";
import { type FieldError, NotFoundError, ProvisionError, isPreviewdError } from "../errors.ts";
import { problemSchema } from "../environments/environment-schema.ts";
import type { Logger } from "../logger.ts";

export type Problem = z.infer<typeof problemSchema> & Record<string, unknown>;

export const MAX_PROBLEM_ERRORS = 20;
const maxDetail = 2000;
const maxField = 300;

/** body-parser and http-errors shape: `{status, expose, type}`. */
interface HttpLikeError {
  status?: unknown;
  expose?: unknown;
  type?: unknown;
  message?: unknown;
}

export function toProblem(error: unknown): Problem {
  if (isPreviewdError(error)) {
    const problem = problemFor(error.status, error.type, error.message, error.errors);
    if (error instanceof ProvisionError) {
      return {
        ...problem,
        step: error.step,
        ...(error.app ? { app: error.app } : {}),
        logTail: error.logTail,
      };
    }
    if (error.extensions) return { ...error.extensions, ...problem };
    return problem;
  }
  const http = (typeof error === "object" && error !== null ? error : {}) as HttpLikeError;
  if (http.type === "entity.parse.failed") return problemFor(400, "validation", "malformed JSON");
  if (http.type === "entity.too.large") return problemFor(413, "payload-too-large", "request body too large");
  // The router's decodeURIComponent of a route parameter: a 400 it does not mark as exposable.
  if (error instanceof URIError && http.status === 400) {
    return problemFor(400, "validation", error.message, [
      { path: "params", message: "expected valid percent-encoded UTF-8 in the URL path" },
    ]);
  }
  if (
    typeof http.status === "number" &&
    http.status >= 400 &&
    http.status < 500 &&
    http.expose === true &&
    typeof http.message === "string"
  ) {
    return problemFor(http.status, "bad-request", http.message);
  }
  return problemFor(500, "internal", "internal error; see the previewd log for details");
}

function problemFor(status: number, type: string, detail: string, errors?: FieldError[]): Problem {
  const shown = (errors ?? []).slice(0, MAX_PROBLEM_ERRORS).map((error) => ({
    path: capped(error.path, maxField),
    message: capped(error.message, maxField),
  }));
  return {
    type,
    title: STATUS_CODES[status] ?? "Error",
    status,
    detail: capped(detail, maxDetail),
    ...(shown.length > 0 ? { errors: shown } : {}),
    // How many there were when not all are listed.
    ...(errors && errors.length > shown.length ? { errorCount: errors.length } : {}),
  };
}

function capped(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function sendProblem(res: Parameters<RequestHandler>[1], problem: Problem): void {
  res.status(problem.status).type("application/problem+json").json(problem);
}

export function notFoundHandler(): RequestHandler {
  return (req, _res, next) => next(new NotFoundError(`no route for ${req.method} ${req.path}`));
}

export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    const problem = toProblem(error);
    if (problem.status >= 500)
      logger.error({ err: error, method: req.method, path: req.path }, "request failed");
    else logger.debug({ method: req.method, path: req.path, problem }, "request rejected");
    // An SSE or streamed response that already started cannot become a problem document.
    if (res.headersSent) return next(error);
    sendProblem(res, problem);
  };
}
