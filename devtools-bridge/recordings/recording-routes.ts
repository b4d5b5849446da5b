/**
 * `/v1/environments/:id/recordings`: start one (POST → 201), stop it (`POST /:rid/stop` → the
 * video's URL, duration and frames), fetch the WebM (`GET /:rid.webm`, with range requests for
 * players). Mounted with `mergeParams`, behind the /v1 token check.
 */
import { Router, type Request } from "express";
import { parseRequest } from "../../provisioner/api/validate.ts";
import type { BridgeContext } from "../bridge-context.ts";
import { recordingRequestSchema } from "./recording-request.ts";
import type { Recordings } from "./recordings.ts";

export function recordingRoutes(
  context: Pick<BridgeContext, "requireEnvironment">,
  recordings: Recordings,
): Router {
  const router = Router({ mergeParams: true });

  router.post("/", async (req, res) => {
    const id = envId(req);
    context.requireEnvironment(id);
    const request = parseRequest(recordingRequestSchema, "body", req.body ?? {});
    const started = await recordings.start(id, request);
    const stopUrl = `${recordingsUrl(req, id)}/${started.id}/stop`;
    res
      .status(201)
      .location(`${recordingsUrl(req, id)}/${started.id}`)
      .json({ ...started, status: "recording", stopUrl });
  });

  router.post("/:rid/stop", async (req, res) => {
    const id = envId(req);
    context.requireEnvironment(id);
    const result = await recordings.stop(id, String(req.params.rid));
    res.json({ ...result, url: `${recordingsUrl(req, id)}/${result.id}.webm` });
  });

  router.get("/:rid.webm", async (req, res, next) => {
    const id = envId(req);
    context.requireEnvironment(id);
    const file = await recordings.video(id, String(req.params.rid));
    res.sendFile(
      file,
      {
        headers: { "Content-Type": "video/webm", "Cache-Control": "private, max-age=31536000, immutable" },
        cacheControl: false,
      },
      (error) => {
        if (error && !res.headersSent) next(error);
      },
    );
  });

  return router;
}

function envId(req: Request): string {
  return String((req.params as Record<string, string>).id);
}

function recordingsUrl(req: Request, envId: string): string {
  return `${req.protocol}://${req.get("host") ?? "127.0.0.1"}/v1/environments/${encodeURIComponent(envId)}/recordings`;
}
