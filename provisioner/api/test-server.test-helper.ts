/** Starts the API on 127.0.0.1:0 over a FakeOrchestrator, for tests. */
import { silentLogger } from "../logger.ts";
import { startHttpServer } from "../http-server.ts";
import { type AppConfig, createApp } from "./create-app.ts";
import { FakeOrchestrator } from "./fake-orchestrator.test-helper.ts";

export interface TestApi {
  url: string;
  orchestrator: FakeOrchestrator;
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestApi(
  config: AppConfig = {},
  orchestrator = new FakeOrchestrator(),
): Promise<TestApi> {
  const app = createApp({ orchestrator, logger: silentLogger, config });
  const server = await startHttpServer({ app, host: "127.0.0.1", port: 0, logger: silentLogger });
  return {
    url: server.url,
    orchestrator,
    request: (path, init) => fetch(`${server.url}${path}`, init),
    close: server.close,
  };
}

export function jsonBody(body: unknown, init: RequestInit = {}): RequestInit {
  return {
    method: "POST",
    ...init,
    headers: { "content-type": "application/json", ...init.headers },
    body: JSON.stringify(body),
  };
}

/** Polls until `condition()` holds (5s at most). */
export async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A response's JSON body, loosely typed for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function readJson(response: Response): Promise<any> {
  return response.json();
}
