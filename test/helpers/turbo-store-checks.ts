/**
 * What examples/turbo-store should do once previewd runs it, asked the way a person's browser asks:
 * through previewd's proxy at the apps' public URLs. Shared by the process and docker suites.
 */
import http from "node:http";
import { expect } from "vitest";
import type { EnvironmentView } from "../../provisioner/environments/environment-schema.ts";
import type { Harness } from "./previewd-harness.ts";

export interface ProxyReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** A request to one of the environment's apps through previewd's proxy, by Host header. */
export function viaProxy(
  harness: Pick<Harness, "url">,
  appUrl: string,
  method: string,
  route: string,
  body?: unknown,
): Promise<ProxyReply> {
  const { port } = new URL(harness.url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method,
        path: route,
        headers: {
          host: new URL(appUrl).host,
          ...(payload !== undefined && { "content-type": "application/json" }),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on("error", reject).end(payload);
  });
}

export interface StoreClient {
  /** JSON from the api (status checked against `expected`, default 200). */
  api<T = Record<string, unknown>>(
    method: string,
    route: string,
    body?: unknown,
    expected?: number,
  ): Promise<T>;
  page(route?: string): Promise<ProxyReply>;
}

export function storeClient(harness: Pick<Harness, "url">, env: EnvironmentView): StoreClient {
  return {
    async api(method, route, body, expected = 200) {
      const reply = await viaProxy(harness, env.apps.api!.url, method, route, body);
      expect(reply.status, `${method} ${route}: ${reply.text}`).toBe(expected);
      return JSON.parse(reply.text) as never;
    },
    page: (route = "/") => viaProxy(harness, env.apps.web!.url, "GET", route),
  };
}

/** The page and its script carry the API's public URL, which `vite build` baked in from build_env. */
export async function expectPageBakesApiUrl(
  harness: Pick<Harness, "url">,
  env: EnvironmentView,
): Promise<void> {
  const store = storeClient(harness, env);
  const apiUrl = env.apps.api!.url;
  const page = await store.page();
  expect(page.status).toBe(200);
  expect(page.text).toContain(`<a id="api-url" href="${apiUrl}">${apiUrl}</a>`);
  const script = /<script type="module" crossorigin src="([^"]+)"/.exec(page.text)?.[1];
  expect(script, page.text).toBeDefined();
  const bundle = await store.page(script);
  expect(bundle.status).toBe(200);
  expect(bundle.text).toContain(apiUrl);
}

export interface StoreStatus {
  postgres: string;
  redis: string;
  payments: { status: string; charges: number };
}

export interface Books {
  items: { id: number; title: string; price: string; stock: number }[];
  views: number;
}

export interface Orders {
  items: { id: number; bookId: number; chargeId: string; totalCents: number }[];
  placed: number;
}

/**
 * Redeploys (waiting in the request) while someone uses the preview: the api's /books and web's
 * page asked through the proxy every 50 ms. Returns the redeploy's answer and every status seen.
 */
export async function redeployWhilePolling(
  harness: Pick<Harness, "url" | "request">,
  env: EnvironmentView,
  timeoutS: number,
): Promise<{ reply: EnvironmentView; answers: string[] }> {
  let polling = true;
  const answers: string[] = [];
  const poller = (async () => {
    while (polling) {
      for (const [url, route] of [
        [env.apps.api!.url, "/books"],
        [env.apps.web!.url, "/"],
      ] as const) {
        const reply = await viaProxy(harness, url, "GET", route).catch((e: Error) => ({
          status: 0,
          text: e.message,
        }));
        answers.push(`${reply.status} ${route}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const reply = await harness
    .request<EnvironmentView>("POST", `/v1/environments/${env.id}/redeploy?wait=true&timeout=${timeoutS}`)
    .finally(() => (polling = false));
  await poller;
  return { reply: reply.body, answers };
}
