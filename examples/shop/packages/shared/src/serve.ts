import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

export interface ServeOptions {
  /** Name in log lines, e.g. "api". */
  name: string;
  handler: Handler;
  /** Answers a request whose handler threw. */
  onError: (error: unknown, res: ServerResponse) => void;
  /** Releases what the app holds (pools, flag clients) after the server has stopped. */
  onShutdown?: () => Promise<void>;
  env?: NodeJS.ProcessEnv;
  defaultPort: number;
}

/**
 * Listens on `HOST` (default loopback; previewd sets it, and the images set 0.0.0.0) and `PORT`, logs one line
 * per request, and on SIGTERM/SIGINT stops accepting, finishes in-flight requests and exits.
 */
export async function serve(options: ServeOptions): Promise<Server> {
  const { name, handler, onError, onShutdown, env = process.env, defaultPort } = options;
  const server = createServer((req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? "/", "http://localhost");
    res.on("finish", () => {
      const ms = Math.round(performance.now() - started);
      console.log(`${name}: ${req.method} ${url.pathname}${url.search} ${res.statusCode} ${ms}ms`);
    });
    handler(req, res, url).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      onError(error, res);
    });
  });
  const port = Number(env.PORT ?? defaultPort);
  const host = env.HOST ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  console.log(`${name}: listening on http://${host}:${port}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const since = performance.now();
    console.log(`${name}: ${signal}, shutting down`);
    // Keep-alive sockets would hold close() open; idle ones go now, busy ones after their response.
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), 5000).unref();
    server.close(() => {
      clearTimeout(force);
      void (onShutdown?.() ?? Promise.resolve())
        .catch((error: unknown) => console.error(`${name}: shutdown: ${String(error)}`))
        .finally(() => {
          console.log(`${name}: stopped in ${Math.round(performance.now() - since)}ms`);
          process.exit(0);
        });
    });
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  return server;
}
