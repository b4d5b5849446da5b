/**
 * MCP over streamable HTTP at `/mcp` (SPEC "MCP"): the tools of `previewd mcp`, one server per
 * MCP session (`Mcp-Session-Id`), closed with the browser pages it opened on DELETE, after an idle
 * time without requests, or when previewd stops. The composition root mounts it behind the
 * request guard and the token, like /v1.
 */
import { randomUUID } from "node:crypto";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { Router, type Response } from "express";
import type { PreviewdClient } from "../cli/client.ts";
import type { Logger } from "../logger.ts";
import { createMcpServer, type PreviewdMcpServer } from "./create-mcp-server.ts";

export interface McpHttpOptions {
  /** previewd's own API, as a session's tools call it (made when a session starts). */
  client: () => PreviewdClient;
  version: string;
  logger: Logger;
  /** A session without requests for this long is closed; default 30 minutes. */
  idleMs?: number;
}

export interface McpHttp {
  routes: Router;
  /** Closes every session (and the browser connections each opened). */
  close(): Promise<void>;
}

class McpSession {
  lastUsed = Date.now();
  inFlight = 0;
  #closing: Promise<void> | undefined;

  constructor(
    readonly mcp: PreviewdMcpServer,
    readonly transport: StreamableHTTPServerTransport,
  ) {}

  close(): Promise<void> {
    this.#closing ??= this.mcp.close();
    return this.#closing;
  }
}

export function mcpHttp({ client, version, logger, idleMs = 30 * 60_000 }: McpHttpOptions): McpHttp {
  const sessions = new Map<string, McpSession>();
  const router = Router();

  const serve = async (
    session: McpSession,
    req: Parameters<StreamableHTTPServerTransport["handleRequest"]>[0],
    res: Response,
  ) => {
    session.lastUsed = Date.now();
    session.inFlight++;
    // A GET stream stays open as long as the client listens: the session is in use meanwhile.
    res.once("close", () => {
      session.inFlight--;
      session.lastUsed = Date.now();
    });
    await session.transport.handleRequest(req, res);
  };

  router.all("/", async (req, res) => {
    const sessionId = req.get("mcp-session-id");
    if (sessionId !== undefined) {
      const session = sessions.get(sessionId);
      if (!session) {
        return void jsonRpcError(
          res,
          404,
          `no MCP session ${sessionId} (it ended, was idle too long, or previewd restarted): initialize a new one`,
        );
      }
      return void (await serve(session, req, res));
    }
    if (req.method !== "POST") {
      return void jsonRpcError(
        res,
        400,
        "no Mcp-Session-Id header: start a session with an initialize request (POST)",
      );
    }
    // A new session, if this is an initialize request: the transport answers anything else with 400.
    const mcp = createMcpServer(client(), { version });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, session),
    });
    const session = new McpSession(mcp, transport);
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
      void session.close();
    };
    await mcp.server.connect(transport);
    await serve(session, req, res);
    if (!transport.sessionId) await session.close();
  });

  const reaper = setInterval(
    () => {
      const now = Date.now();
      for (const [id, session] of sessions) {
        if (session.inFlight > 0 || now - session.lastUsed < idleMs) continue;
        logger.info({ mcpSession: id }, "closing an idle MCP session");
        sessions.delete(id);
        void session.close();
      }
    },
    Math.min(60_000, idleMs),
  );
  reaper.unref();

  return {
    routes: router,
    async close() {
      clearInterval(reaper);
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.all(all.map((session) => session.close()));
    },
  };
}

/** A JSON-RPC error without an id, as the SDK's transport answers its own refusals. */
function jsonRpcError(res: Response, status: number, message: string): void {
  res.status(status).json({ jsonrpc: "2.0", error: { code: -32000, message }, id: null });
}
