/**
 * A small typed client for previewd's HTTP API, shared by the CLI commands (and the MCP server).
 * Problems become ApiProblemError; a server that is not there becomes ServerUnreachableError.
 */
import type {
  CreateEnvironmentRequest,
  EnvironmentEvent,
  EnvironmentView,
} from "../environments/environment-schema.ts";
import type { ScenarioSummary } from "../environments/scenario-api-schema.ts";
import { ApiProblemError, type ProblemBody, ServerUnreachableError } from "./client-errors.ts";
import { readEventStream } from "./event-stream.ts";
import type { z } from "zod";
import type { githubCommentResultSchema } from "../github/github-schemas.ts";
import type {
  ScreenshotRequest,
  ScreenshotView,
} from "../../devtools-bridge/screenshots/screenshot-request.ts";
import type {
  RecordingRequest,
  StartedRecordingView,
  StoppedRecordingView,
} from "../../devtools-bridge/recordings/recording-request.ts";
import type { FlagValue } from "../environments/environment-schema.ts";
import type { FlagDetails } from "../flags/flag-values.ts";
import type { LogEntry } from "../logs/log-store.ts";
import { logSearchParams, parseNdjson, readLogEvents, type LogQueryParams } from "./log-stream.ts";

export interface ClientOptions {
  baseUrl: string;
  token?: string;
  fetch?: typeof fetch;
}

export interface WaitOptions {
  wait?: boolean;
  /** Seconds. */
  timeout?: number;
}

export class PreviewdClient {
  readonly baseUrl: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#token = options.token;
    this.#fetch = options.fetch ?? fetch;
  }

  async createEnvironment(
    request: CreateEnvironmentRequest,
    options: WaitOptions = {},
  ): Promise<{ environment: EnvironmentView; created: boolean }> {
    const response = await this.#request("POST", `/v1/environments${waitQuery(options)}`, request);
    return { environment: (await response.json()) as EnvironmentView, created: response.status === 201 };
  }

  async listEnvironments(): Promise<EnvironmentView[]> {
    return (await this.#request("GET", "/v1/environments").then((r) => r.json())) as EnvironmentView[];
  }

  /** With `wait`, answers once what was asked of the environment before has finished (or at the timeout). */
  async getEnvironment(id: string, options: WaitOptions = {}): Promise<EnvironmentView> {
    const response = await this.#request("GET", `${envPath(id)}${waitQuery(options)}`);
    return (await response.json()) as EnvironmentView;
  }

  async patchEnvironment(id: string, patch: { ttl: number | string | null }): Promise<EnvironmentView> {
    return (await this.#request("PATCH", envPath(id), patch).then((r) => r.json())) as EnvironmentView;
  }

  /** With `wait`, resolves once the redeploy is ready or failed (`settled`), or at the timeout. */
  async redeploy(
    id: string,
    options: WaitOptions = {},
  ): Promise<{ environment: EnvironmentView; settled: boolean }> {
    const response = await this.#request("POST", `${envPath(id)}/redeploy${waitQuery(options)}`);
    return { environment: (await response.json()) as EnvironmentView, settled: response.status === 200 };
  }

  /** Post (or edit) the pull request's previewd comment and commit status for this environment. */
  async postGitHubComment(
    id: string,
    target: { repo: string; pr: number },
  ): Promise<z.infer<typeof githubCommentResultSchema>> {
    const response = await this.#request("POST", `${envPath(id)}/github/comment`, target);
    return (await response.json()) as z.infer<typeof githubCommentResultSchema>;
  }

  /** Resolves with the environment (now `deleting`), or undefined once it is gone when waiting. */
  async deleteEnvironment(id: string, options: WaitOptions = {}): Promise<EnvironmentView | undefined> {
    const response = await this.#request("DELETE", `${envPath(id)}${waitQuery(options)}`);
    return response.status === 204 ? undefined : ((await response.json()) as EnvironmentView);
  }

  async listScenarios(id: string): Promise<ScenarioSummary[]> {
    const response = await this.#request("GET", `${envPath(id)}/scenarios`);
    return (await response.json()) as ScenarioSummary[];
  }

  /** Resets the environment's data and loads the scenario; resolves once it is loaded. */
  async loadScenario(id: string, name: string): Promise<EnvironmentView> {
    const response = await this.#request("POST", `${envPath(id)}/scenario`, { name });
    return (await response.json()) as EnvironmentView;
  }

  /** The environment's events (replayed, then live) until `signal` aborts or the server ends the stream. */
  async *events(id: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<EnvironmentEvent> {
    const response = await this.#request("GET", `${envPath(id)}/events`, undefined, {
      signal: options.signal,
      accept: "text/event-stream",
    });
    if (!response.body) return;
    for await (const event of readEventStream(response.body)) yield event as EnvironmentEvent;
  }

  /** The matching log lines (NDJSON), oldest first. */
  async logs(id: string, query: LogQueryParams = {}): Promise<LogEntry[]> {
    const response = await this.#request("GET", `${envPath(id)}/logs${logSearchParams(query)}`, undefined, {
      accept: "application/x-ndjson",
    });
    return parseNdjson(await response.text());
  }

  /** The tail, then live lines, until `signal` aborts or the server ends the stream (resume with `lastEventId`). */
  async *followLogs(
    id: string,
    query: LogQueryParams = {},
    options: { signal?: AbortSignal; lastEventId?: number } = {},
  ): AsyncGenerator<LogEntry> {
    const path = `${envPath(id)}/logs${logSearchParams(query, true)}`;
    const response = await this.#request("GET", path, undefined, {
      signal: options.signal,
      accept: "text/event-stream",
      ...(options.lastEventId !== undefined && { lastEventId: String(options.lastEventId) }),
    });
    if (response.body) yield* readLogEvents(response.body);
  }

  async flags(id: string): Promise<Record<string, FlagDetails>> {
    const response = await this.#request("GET", `${envPath(id)}/flags`);
    return (await response.json()) as Record<string, FlagDetails>;
  }

  async setFlags(id: string, values: Record<string, FlagValue>): Promise<Record<string, FlagDetails>> {
    const response = await this.#request("PATCH", `${envPath(id)}/flags`, values);
    return (await response.json()) as Record<string, FlagDetails>;
  }

  /** Opens a page in the environment's browser and captures it (201 with where the PNG is). */
  async takeScreenshot(id: string, request: ScreenshotRequest = {}): Promise<ScreenshotView> {
    const response = await this.#request("POST", `${envPath(id)}/screenshots`, request);
    return (await response.json()) as ScreenshotView;
  }

  async screenshotPng(id: string, screenshotId: string): Promise<Buffer> {
    const path = `${envPath(id)}/screenshots/${encodeURIComponent(screenshotId)}.png`;
    const response = await this.#request("GET", path, undefined, { accept: "image/png" });
    return Buffer.from(await response.arrayBuffer());
  }

  /** Stores a PNG a client captured itself (e.g. of a page an agent drives) beside previewd's own screenshots. */
  async storeScreenshot(id: string, png: Buffer, pageUrl: string): Promise<ScreenshotView> {
    const query = new URLSearchParams({ pageUrl });
    const response = await this.#request("POST", `${envPath(id)}/screenshots?${query}`, png, {
      contentType: "image/png",
    });
    return (await response.json()) as ScreenshotView;
  }

  /** Starts recording a page of the environment's browser (default: the page navigated last). */
  async startRecording(id: string, request: RecordingRequest = {}): Promise<StartedRecordingView> {
    const response = await this.#request("POST", `${envPath(id)}/recordings`, request);
    return (await response.json()) as StartedRecordingView;
  }

  /** Stops a recording; answers once its WebM is written, with its URL. */
  async stopRecording(id: string, recordingId: string): Promise<StoppedRecordingView> {
    const response = await this.#request(
      "POST",
      `${envPath(id)}/recordings/${encodeURIComponent(recordingId)}/stop`,
    );
    return (await response.json()) as StoppedRecordingView;
  }

  /**
   * Where a CDP client reaches the environment's browser through this previewd (the bridge's /v1
   * path: reachable wherever the API is), and the headers it must send.
   */
  devtoolsEndpoint(id: string): { url: string; headers: Record<string, string> } {
    return {
      url: `${this.baseUrl}${envPath(id)}/devtools`,
      headers: this.#token ? { authorization: `Bearer ${this.#token}` } : {},
    };
  }

  async #request(
    method: string,
    path: string,
    body?: unknown,
    options: { signal?: AbortSignal; accept?: string; lastEventId?: string; contentType?: string } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: options.accept ?? "application/json" };
    if (options.lastEventId !== undefined) headers["last-event-id"] = options.lastEventId;
    if (body !== undefined) headers["content-type"] = options.contentType ?? "application/json";
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    let response: Response;
    try {
      response = await this.#fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body),
        signal: options.signal,
      });
    } catch (error) {
      if (isConnectionError(error)) throw new ServerUnreachableError(this.baseUrl, { cause: error });
      throw error;
    }
    if (!response.ok) throw new ApiProblemError(await readProblem(response));
    return response;
  }
}

async function readProblem(response: Response): Promise<ProblemBody> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as Partial<ProblemBody>;
    if (typeof body === "object" && body !== null && typeof body.title === "string") {
      return { type: "about:blank", status: response.status, ...body } as ProblemBody;
    }
  } catch {
    // not JSON: fall through to a problem built from the status line
  }
  return {
    type: "about:blank",
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    detail: text.trim() || `${response.status} ${response.statusText}`,
  };
}

function isConnectionError(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return (
    typeof cause?.code === "string" &&
    /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|EAI_AGAIN)$/.test(cause.code)
  );
}

function envPath(id: string): string {
  return `/v1/environments/${encodeURIComponent(id)}`;
}

function waitQuery(options: WaitOptions): string {
  if (options.wait === undefined) return "";
  const timeout = options.timeout === undefined ? "" : `&timeout=${options.timeout}`;
  return `?wait=${options.wait}${timeout}`;
}
