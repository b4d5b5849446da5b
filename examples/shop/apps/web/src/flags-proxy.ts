import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { readBody } from "@shop/shared";

/**
 * The browser reads flags through this app, not from previewd directly: the page and its flags
 * share one origin (no CORS), and previewd's token (PREVIEW_FLAGS_TOKEN) stays on the server.
 * Requests under `<PREVIEW_FLAGS_URL path>/ofrep/` are forwarded with the token added, so the
 * OFREP web provider's base URL is simply `location.origin + flagsPath`, and the event stream that
 * previewd announces (a path on the provider's own origin) comes through the same way.
 */
export interface FlagsProxy {
  /** The path prefix the page uses as its OFREP base URL, e.g. `/v1/environments/shop-main-1a2b`. */
  basePath: string;
  handles(url: URL): boolean;
  forward(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

export function createFlagsProxy(env: NodeJS.ProcessEnv = process.env): FlagsProxy | undefined {
  if (!env.PREVIEW_FLAGS_URL) return undefined;
  const target = new URL(env.PREVIEW_FLAGS_URL);
  const basePath = target.pathname.replace(/\/+$/, "");
  const token = env.PREVIEW_FLAGS_TOKEN;
  return {
    basePath,
    handles: (url) => url.pathname.startsWith(`${basePath}/ofrep/`),
    async forward(req, res, url) {
      const headers: Record<string, string> = { accept: req.headers.accept ?? "application/json" };
      for (const name of ["content-type", "if-none-match", "last-event-id"]) {
        const value = req.headers[name];
        if (typeof value === "string") headers[name] = value;
      }
      if (token) headers.authorization = `Bearer ${token}`;
      const body = req.method === "POST" ? await readBody(req) : undefined;
      const controller = new AbortController();
      res.on("close", () => controller.abort());
      const upstream = await fetch(new URL(`${url.pathname}${url.search}`, target.origin), {
        method: req.method ?? "GET",
        headers,
        ...(body !== undefined && { body }),
        signal: controller.signal,
      });
      const passed: Record<string, string> = {};
      for (const name of ["content-type", "etag", "cache-control"]) {
        const value = upstream.headers.get(name);
        if (value) passed[name] = value;
      }
      res.writeHead(upstream.status, passed);
      if (!upstream.body) return void res.end();
      // Streamed, so the SSE change notifications reach the page as they happen.
      Readable.fromWeb(upstream.body as import("node:stream/web").ReadableStream)
        .on("error", () => res.end())
        .pipe(res);
    },
  };
}

/** The browser builds of the OpenFeature web SDK and OFREP web provider, served as ES modules. */
const browserModules: Record<string, { from: string; name: string; file: string }> = {
  "core.js": { from: "@openfeature/web-sdk", name: "@openfeature/core", file: "dist/esm/index.js" },
  "web-sdk.js": { from: ".", name: "@openfeature/web-sdk", file: "dist/esm/index.js" },
  "ofrep-core.js": {
    from: "@openfeature/ofrep-web-provider",
    name: "@openfeature/ofrep-core",
    file: "index.esm.js",
  },
  "ofrep-web-provider.js": { from: ".", name: "@openfeature/ofrep-web-provider", file: "index.esm.js" },
};

export const vendorPath = "/vendor/openfeature/";

/** The import map the page needs for those modules. */
export const flagImportMap = {
  imports: {
    "@openfeature/core": `${vendorPath}core.js`,
    "@openfeature/web-sdk": `${vendorPath}web-sdk.js`,
    "@openfeature/ofrep-core": `${vendorPath}ofrep-core.js`,
    "@openfeature/ofrep-web-provider": `${vendorPath}ofrep-web-provider.js`,
  },
};

export async function serveFlagModule(res: ServerResponse, url: URL): Promise<boolean> {
  const module = browserModules[url.pathname.slice(vendorPath.length)];
  if (!url.pathname.startsWith(vendorPath) || !module) return false;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const parent = module.from === "." ? here : packageDir(module.from, here);
  const dir = parent && packageDir(module.name, parent);
  if (!dir) return false;
  const source = await readFile(path.join(dir, module.file));
  res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "max-age=3600" });
  res.end(source);
  return true;
}

/** Node's lookup: `node_modules/<name>` in `from` or the nearest folder above it that has one. */
function packageDir(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name);
    if (existsSync(path.join(candidate, "package.json"))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}
