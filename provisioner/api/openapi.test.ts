import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createEnvironmentRequestSchema, environmentSchema } from "../environments/environment-schema.ts";
import { readJson, startTestApi } from "./test-server.test-helper.ts";

describe("/openapi.json", () => {
  it("lists every route and carries schemas generated from zod", async () => {
    const api = await startTestApi();
    try {
      const response = await api.request("/openapi.json");
      expect(response.status).toBe(200);
      const document = await readJson(response);
      expect(document.openapi).toBe("3.1.0");
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining([
          "/v1/environments",
          "/v1/environments/{id}",
          "/v1/environments/{id}/redeploy",
          "/v1/environments/{id}/events",
          "/v1/environments/{id}/recordings",
          "/v1/environments/{id}/recordings/{rid}/stop",
          "/v1/environments/{id}/recordings/{rid}.webm",
          "/healthz",
          "/openapi.json",
        ]),
      );
      expect(Object.keys(document.paths["/v1/environments/{id}"])).toEqual(["get", "patch", "delete"]);

      const request: Record<string, unknown> = z.toJSONSchema(createEnvironmentRequestSchema, {
        io: "input",
      });
      delete request.$schema;
      expect(document.components.schemas.CreateEnvironmentRequest).toEqual(request);
      const environment: Record<string, unknown> = z.toJSONSchema(environmentSchema);
      delete environment.$schema;
      expect(document.components.schemas.Environment).toEqual(environment);
      expect(document.components.schemas.Problem.required).toEqual(["type", "title", "status"]);

      // Every $ref points at a published schema.
      const refs = JSON.stringify(document).match(/#\/components\/schemas\/\w+/g) ?? [];
      for (const ref of refs) expect(document.components.schemas).toHaveProperty(ref.split("/").at(-1)!);
    } finally {
      await api.close();
    }
  });
});
