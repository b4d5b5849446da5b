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

export interface AppConfig {
  /** When set, every /v1 request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Interval of SSE heartbeat comments; default 15s. */
  heartbeatMs?: number;
  /** Largest accepted JSON body; default 1mb. */
  bodyLimit?: string;
  /** Reported in /openapi.json. */
  version?: string;
}

export interface AppDeps {
  orchestrator: Orchestrator;
  logger: Logger;
  config: AppConfig;
}

export function createApp({ orchestrator, logger, config }: AppDeps): express.Application {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  app.use(systemRoutes({ version: config.version ?? "0.0.0" }));

  const v1 = express.Router();
  v1.use(requireToken(config.token));
  v1.use(express.json({ limit: config.bodyLimit ?? "1mb" }));
  v1.use(environmentRoutes(orchestrator));
  v1.use(eventRoutes(orchestrator, { heartbeatMs: config.heartbeatMs ?? 15_000 }));
  app.use("/v1", v1);

  app.use(notFoundHandler());
  app.use(problemHandler(logger));
  return app;
}
