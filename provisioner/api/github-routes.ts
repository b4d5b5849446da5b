/**
 * GitHub routes. The webhook is mounted outside /v1's JSON parser and bearer token: it needs the
 * raw body, and its signature is its authentication. The comment route is an ordinary /v1 route.
 */
import express, { Router, type RequestHandler } from "express";
import { GitHubNotConfiguredError } from "../github/github-errors.ts";
import type { GitHubIntegration } from "../github/create-github.ts";
import { checkSignatureHeader } from "../github/webhook-receiver.ts";
import { githubCommentRequestSchema } from "../github/github-schemas.ts";
import { parseRequest } from "./validate.ts";

export const WEBHOOK_PATH = "/v1/github/webhook";

export function githubWebhookRoutes(github: Pick<GitHubIntegration, "receiver">): Router {
  const router = Router();
  // GitHub caps webhook payloads at 25 MB: read that much only for a request that may be GitHub's.
  router.post(
    WEBHOOK_PATH,
    refuseBeforeBody(github),
    express.raw({ type: () => true, limit: "25mb" }),
    async (req, res) => {
      if (!github.receiver) {
        throw new GitHubNotConfiguredError("the GitHub webhook is disabled: set GITHUB_WEBHOOK_SECRET");
      }
      const answer = await github.receiver.receive({
        event: req.get("x-github-event"),
        delivery: req.get("x-github-delivery"),
        signature256: req.get("x-hub-signature-256"),
        signature1: req.get("x-hub-signature"),
        contentType: req.get("content-type"),
        body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      });
      res.status(answer.status).json(answer.body);
    },
  );
  return router;
}

/**
 * A disabled webhook, or a request without a well-formed signature header, is refused from its
 * headers alone; the connection then closes, so the unread body is never taken in.
 */
function refuseBeforeBody(github: Pick<GitHubIntegration, "receiver">): RequestHandler {
  return (req, res, next) => {
    try {
      if (!github.receiver) {
        throw new GitHubNotConfiguredError("the GitHub webhook is disabled: set GITHUB_WEBHOOK_SECRET");
      }
      checkSignatureHeader({
        signature256: req.get("x-hub-signature-256"),
        signature1: req.get("x-hub-signature"),
      });
      next();
    } catch (error) {
      res.set("Connection", "close");
      next(error);
    }
  };
}

export function githubCommentRoutes(github: Pick<GitHubIntegration, "commenter">): Router {
  const router = Router();
  router.post("/environments/:id/github/comment", async (req, res) => {
    const { repo, pr } = parseRequest(githubCommentRequestSchema, "body", req.body);
    if (!github.commenter) {
      throw new GitHubNotConfiguredError("posting to GitHub is disabled: set GITHUB_TOKEN");
    }
    res.json(await github.commenter.comment(req.params.id, repo, pr));
  });
  return router;
}
