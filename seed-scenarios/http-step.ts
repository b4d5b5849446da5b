/** An `http` step: one request to the app; the answer must carry `expect`, or any 2xx without it. */
import type { HttpStep } from "./scenario-schema.ts";

export interface HttpOutcome {
  ok: boolean;
  status: number;
  output: string[];
}

const maxBody = 4_000;

export async function runHttp(
  baseUrl: string,
  step: HttpStep,
  signal: AbortSignal,
  timeoutMs = 30_000,
): Promise<HttpOutcome> {
  const headers: Record<string, string> = { accept: "application/json", ...step.headers };
  const hasBody = step.body !== undefined;
  if (hasBody && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
    headers["content-type"] = "application/json";
  }
  const request = `${step.method} ${step.path}`;
  let response: Response;
  try {
    response = await fetch(new URL(step.path, baseUrl), {
      method: step.method,
      headers,
      ...(hasBody && { body: typeof step.body === "string" ? step.body : JSON.stringify(step.body) }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
  } catch (error) {
    return { ok: false, status: 0, output: [`${request}: ${(error as Error).message}`] };
  }
  const text = await response.text().catch(() => "");
  const ok = step.expect === undefined ? response.ok : response.status === step.expect;
  const body = text.length > maxBody ? `${text.slice(0, maxBody)}…` : text;
  return {
    ok,
    status: response.status,
    output: [`${request} -> ${response.status}`, ...body.split("\n").filter(Boolean)],
  };
}
