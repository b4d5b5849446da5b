/** `GET /v1/environments/:id/events`: the latest operation's events replayed, then live, as SSE. */
import { Router } from "express";
import type { Orchestrator } from "../orchestrator/orchestrator.ts";
import { openEventStream } from "./sse.ts";

export function eventRoutes(
  orchestrator: Orchestrator,
  options: { heartbeatMs: number; onDeleted?: (listener: (id: string) => void) => () => void },
): Router {
  const router = Router();

  router.get("/environments/:id/events", (req, res) => {
    const { id } = orchestrator.get(req.params.id); // unknown ids answer 404 before the stream opens
    const stream = openEventStream(req, res, options);
    let seq = 0;
    // events() and subscribe() run in the same tick, so no event falls between replay and live.
    for (const event of orchestrator.events(id)) stream.send(event, seq++);
    const unsubscribe = orchestrator.subscribe(id, (event) => stream.send(event, seq++));
    stream.onClose(unsubscribe);
    // The stream ends with its environment: a client following a delete sees it finish.
    if (options.onDeleted) stream.onClose(options.onDeleted((gone) => gone === id && stream.close()));
  });

  return router;
}
