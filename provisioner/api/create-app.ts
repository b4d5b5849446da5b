/**
 * The HTTP API as an express application. Everything it needs comes in as parameters, so tests
 * build it with a fake orchestrator and listen on port 0.
 */
import express from "express";
import type { Logger } from "../logger.ts";
import type { Orchestrator } from "../orchestrator/orchestrator.ts";
import { requireToken } from "./auth.ts";
import { environmentRoutes } from "./environment-routes.ts";
import { eventRoutes } from "./event-routes.ts";
import { notFoundHandler, problemHandler } from "./problem.ts";
import { systemRoutes } from "./system-routes.ts";
import type { FlagSource } from "../flags/flag-source.ts";
import type { LogStore } from "../logs/log-store.ts";
import { flagRoutes } from "./flag-routes.ts";
import { logRoutes } from "./log-routes.ts";
import { ofrepRoutes } from "./ofrep-routes.ts";
import { ofrepWrongBase } from "./ofrep-errors.ts";
import type { GitHubIntegration } from "../github/create-github.ts";
import { githubCommentRoutes, githubWebhookRoutes } from "./github-routes.ts";
import type { ScenarioService } from "../orchestrator/scenario-service.ts";
import { scenarioRoutes } from "./scenario-routes.ts";
import type { PreviewdMetrics } from "../metrics/previewd-metrics.ts";
import { httpMetrics, metricsRoutes } from "./metrics-routes.ts";
import { limitJsonDepth } from "./json-depth.ts";
import type { ShareLinks } from "../proxy/share-links.ts";
import { shareRoutes } from "./share-routes.ts";
import { environmentListRoutes } from "./environment-list-routes.ts";
import { dashboardRoutes } from "../dashboard/dashboard-routes.ts";
import { DashboardSessions } from "../dashboard/dashboard-sessions.ts";
import { isDashboardRequest } from "../dashboard/session-cookie.ts";

export interface AppConfig {
  /** When set, every /v1 request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Interval of SSE heartbeat comments; default 15s. */
  heartbeatMs?: number;
  /** Largest accepted JSON body; default 1mb. */
  bodyLimit?: string;
  /** Reported in /openapi.json. */
  version?: string;
  /** PREVIEWD_PUBLIC_URL: the dashboard's session cookie is Secure when this is https. */
  publicUrl?: string;
  /** How often `GET /v1/environments?follow=true` compares the list; default 250 ms. */
  listPollMs?: number;
}

export interface AppDeps {
  orchestrator: Orchestrator;
  logger: Logger;
  config: AppConfig;
  /** Serves `/logs` when given. */
  logs?: LogStore;
  /** Serves `/flags` and OFREP when given. */
  flags?: FlagSource;
  /** The GitHub webhook and comment routes; without it they answer 503 (not configured). */
  github?: Pick<GitHubIntegration, "receiver" | "commenter">;
  /** Serves `/scenarios` and `/scenario` when given. */
  scenarios?: ScenarioService;
  /** Subscribes to deletions: log follows and OFREP event streams of a deleted environment end. */
  onDeleted?: (listener: (id: string) => void) => () => void;
  /** The CDP bridge (devtools-bridge/): its /v1 routes and `/json/protocol` at the root. */
  devtools?: { v1Routes: express.RequestHandler; rootRoutes: express.RequestHandler };
  /** Serves GET /metrics (Prometheus) and times every request when given. */
  metrics?: PreviewdMetrics;
  /** Serves `POST /environments/:id/share` (share links to protected previews) when given. */
  shares?: ShareLinks;
  /** MCP over streamable HTTP, served at `/mcp` behind the token (provisioner/mcp/mcp-http-routes.ts). */
  mcp?: express.RequestHandler;
}

export function createApp({
  orchestrator,
  logger,
  config,
  logs,
  flags,
  github = {},
  scenarios,
  onDeleted,
  devtools,
  metrics,
  shares,
  mcp,
}: AppDeps): express.Application {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  if (metrics)
    app.use(
      httpMetrics(metrics, () => app.router),
      metricsRoutes(metrics, config.token),
    );
  app.use(systemRoutes({ version: config.version ?? "0.0.0" }));
  // Before /v1's token check and JSON parser: the webhook is signed, and verified over its raw body.
  app.use(githubWebhookRoutes(github));
  if (devtools) app.use(devtools.rootRoutes);
  // An OFREP request under a wrong base URL: a 404 in OFREP's shape naming the right one.
  if (flags) app.use(ofrepWrongBase());
  // Its own body parsing (the SDK's transport reads the request), the token as for /v1.
  if (mcp) app.use("/mcp", requireToken(config.token), mcp);
  // The dashboard at `/`: with a token set, its session cookie also opens /v1 to the page itself.
  const sessions = new DashboardSessions();
  app.use(
    dashboardRoutes({
      sessions,
      ...(config.token && { token: config.token }),
      ...(config.publicUrl && { publicUrl: config.publicUrl }),
    }),
  );

  const v1 = express.Router();
  // OFREP first: it takes the environment's flags token too, CORS preflights and its own error shape.
  if (flags) v1.use(ofrepRoutes(flags, orchestrator, { ...config, onDeleted }));
  v1.use(requireToken(config.token, { session: (req) => isDashboardRequest(req, sessions) }));
  v1.use(express.json({ limit: config.bodyLimit ?? "1mb" }), limitJsonDepth());
  v1.use(
    environmentListRoutes(orchestrator, {
      heartbeatMs: config.heartbeatMs ?? 15_000,
      ...(config.listPollMs && { pollMs: config.listPollMs }),
    }),
  );
  v1.use(environmentRoutes(orchestrator));
  if (shares) v1.use(shareRoutes(orchestrator, shares));
  v1.use(eventRoutes(orchestrator, { heartbeatMs: config.heartbeatMs ?? 15_000, onDeleted }));
  if (scenarios) v1.use(scenarioRoutes(scenarios));
  if (logs) v1.use(logRoutes(logs, orchestrator, { heartbeatMs: config.heartbeatMs ?? 15_000, onDeleted }));
  if (flags) v1.use(flagRoutes(flags));
  v1.use(githubCommentRoutes(github));
  if (devtools) v1.use(devtools.v1Routes);
  app.use("/v1", v1);

  app.use(notFoundHandler());
  app.use(problemHandler(logger));
  return app;
}
