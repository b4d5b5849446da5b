/** The share-link part of /openapi.json, generated from the same zod schemas the route uses. */
import { idParam, json, problem, ref, type ComponentSchemas, type PathItems } from "./openapi-parts.ts";
import { shareRequestSchema, shareResponseSchema } from "./share-routes.ts";

export const shareComponents: ComponentSchemas = {
  ShareRequest: { schema: shareRequestSchema, io: "input" },
  ShareLinks: { schema: shareResponseSchema, io: "output" },
};

export const sharePaths: PathItems = {
  "/v1/environments/{id}/share": {
    post: {
      summary:
        "Share links that open the environment's protected previews without the token (plain URLs when previews are open)",
      parameters: [idParam],
      requestBody: { required: false, content: { "application/json": { schema: ref("ShareRequest") } } },
      responses: {
        "200": json(ref("ShareLinks"), "links valid until `expiresAt`"),
        "400": problem("invalid request"),
        "401": problem("missing or wrong bearer token"),
        "404": problem("no such environment or app"),
      },
    },
  },
};
