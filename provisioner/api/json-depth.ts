/**
 * A 400 for JSON bodies nested deeper than any request of this API needs. express.json() parses
 * any depth, but what reads the body afterwards (zod, JSON.stringify of a value in an error
 * message) recurses, and 100,000 levels overflow the stack: a 500 instead of a clear refusal.
 */
import type { RequestHandler } from "express";
import { ValidationError } from "../errors.ts";

export const MAX_JSON_DEPTH = 64;

export function limitJsonDepth(maxDepth = MAX_JSON_DEPTH): RequestHandler {
  return (req, _res, next) => {
    const body: unknown = req.body;
    if (typeof body !== "object" || body === null || !deeperThan(body, maxDepth)) return next();
    next(
      new ValidationError(`the JSON body is nested more than ${maxDepth} levels deep`, {
        errors: [
          { path: "body", message: `expected at most ${maxDepth} levels of nested arrays and objects` },
        ],
      }),
    );
  };
}

/** Iterative, so measuring the depth cannot overflow the stack itself; linear in the body's size. */
function deeperThan(root: object, max: number): boolean {
  const pending: Array<[object, number]> = [[root, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, depth] = next;
    if (depth > max) return true;
    for (const child of Object.values(value)) {
      if (typeof child === "object" && child !== null) pending.push([child, depth + 1]);
    }
  }
  return false;
}
