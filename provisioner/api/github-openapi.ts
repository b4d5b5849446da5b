/** The GitHub part of /openapi.json, generated from the same zod schemas the routes use. */
import {
  githubCommentRequestSchema,
  githubCommentResultSchema,
  webhookAnswerSchema,
} from "../github/github-schemas.ts";
import { idParam, json, problem, ref } from "./openapi-parts.ts";
import type { ComponentSchemas, Json, PathItems } from "./openapi-parts.ts";

const header = (name: string, description: string): Json => ({
  name,
  in: "header",
  required: true,
  description,
  schema: { type: "string" },
});

export const githubComponents: ComponentSchemas = {
  GitHubCommentRequest: { schema: githubCommentRequestSchema, io: "input" },
  GitHubCommentResult: { schema: githubCommentResultSchema, io: "output" },
  GitHubWebhookAnswer: { schema: webhookAnswerSchema, io: "output" },
};

export const githubPaths: PathItems = {
  "/v1/github/webhook": {
    post: {
      summary: "GitHub webhook: pull_request events create, update and delete PR previews",
      description:
        "Authenticated by X-Hub-Signature-256 (HMAC of the raw body with GITHUB_WEBHOOK_SECRET), not by the bearer token. Answers at once; the work is queued per pull request.",
      security: [],
      parameters: [
        header("X-Hub-Signature-256", "sha256=<hex HMAC of the body>"),
        header("X-GitHub-Event", "pull_request or ping; other events are acknowledged and ignored"),
        header("X-GitHub-Delivery", "the delivery's GUID; a repeated one is ignored"),
      ],
      requestBody: { required: true, content: { "application/json": { schema: { type: "object" } } } },
      responses: {
        "200": json(ref("GitHubWebhookAnswer"), "ping answered, or a repeated delivery ignored"),
        "202": json(ref("GitHubWebhookAnswer"), "queued, or ignored (repository not served, other event)"),
        "400": problem("not a pull_request payload, or no delivery id"),
        "401": problem("missing or wrong X-Hub-Signature-256"),
        "503": problem("GITHUB_WEBHOOK_SECRET is not set: the webhook is disabled"),
      },
    },
  },
  "/v1/environments/{id}/github/comment": {
    post: {
      summary: "Post or edit the pull request's previewd comment and commit status for this environment",
      parameters: [idParam],
      requestBody: {
        required: true,
        content: { "application/json": { schema: ref("GitHubCommentRequest") } },
      },
      responses: {
        "200": json(ref("GitHubCommentResult"), "the comment (created or edited) and the status set"),
        "400": problem("invalid request"),
        "401": problem("missing or wrong bearer token"),
        "404": problem("no such environment"),
        "502": problem("GitHub refused the request"),
        "503": problem("GITHUB_TOKEN is not set"),
      },
    },
  },
};
