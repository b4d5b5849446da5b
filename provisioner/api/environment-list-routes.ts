/**
 * `GET /v1/environments?follow=true`: the list of environments as Server-Sent Events, now and again
 * whenever it changes (one created or deleted; a status, an app's health, flags, scenario or
 * timings changed). The dashboard's live list. Without `follow` the plain list answers, as before.
 */
import { Router } from "express";
import { z } from "zod";
import type { Orchestrator } from "../orchestrator/orchestrator.ts";
import { openEventStream } from "./sse.ts";
import { parseRequest } from "./validate.ts";

export const DEFAULT_LIST_POLL_MS = 250;

const listQuerySchema = z.object({
  follow: z
    .enum(["true", "false", "1", "0", ""])
    .transform((value) => value === "true" || value === "1" || value === "")
    .optional(),
});

export function environmentListRoutes(
  orchestrator: Pick<Orchestrator, "list">,
  options: { heartbeatMs: number; pollMs?: number },
): Router {
  const router = Router();

  router.get("/environments", (req, res, next) => {
    if (!parseRequest(listQuerySchema, "query", req.query).follow) return next();
    const stream = openEventStream(req, res, options);
    // An environment's view changes from many places (operations, supervision, flags, scenarios);
    // comparing the in-memory list catches each of them without every one announcing itself.
    let last = "";
    let seq = 0;
    const sendIfChanged = () => {
      const list = orchestrator.list();
      const text = JSON.stringify(list);
      if (text === last) return;
      last = text;
      stream.send(list, seq++);
    };
    sendIfChanged();
    const timer = setInterval(sendIfChanged, options.pollMs ?? DEFAULT_LIST_POLL_MS);
    stream.onClose(() => clearInterval(timer));
  });

  return router;
}
