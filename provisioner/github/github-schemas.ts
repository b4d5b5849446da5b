/** Request and answer shapes of the GitHub routes; /openapi.json is generated from these. */
import { z } from "zod";

export const githubCommentRequestSchema = z.strictObject({
  repo: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "expected owner/name")
    .describe("the repository, owner/name"),
  pr: z.number().int().positive().describe("the pull request number"),
});

export const githubCommentResultSchema = z.object({
  comment: z.object({ id: z.number(), url: z.string(), created: z.boolean() }),
  status: z
    .object({
      state: z.enum(["pending", "success", "failure", "error"]),
      description: z.string(),
      targetUrl: z.string().optional(),
    })
    .optional(),
});

export const webhookAnswerSchema = z.object({
  status: z.enum(["pong", "queued", "duplicate", "ignored"]),
  delivery: z.string().optional(),
  reason: z.string().optional(),
});
