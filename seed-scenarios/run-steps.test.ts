import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ResolvedScenario, ResolvedStep } from "./load-scenario.ts";
import { ScenarioStepError } from "./scenario-errors.ts";
import { runSteps, type StepEvent } from "./run-steps.ts";
import type { SeedTarget } from "./seed-target.ts";

let server: http.Server;
let baseUrl: string;
const received: { method: string; url: string; body: string; type: string | undefined }[] = [];

beforeAll(async () => {
  server = http.createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    received.push({ method: req.method!, url: req.url!, body, type: req.headers["content-type"] });
    res.writeHead(req.url === "/teapot" ? 418 : 201).end(req.url === "/teapot" ? "short\nand stout" : "ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const execs: { app: string; command: string; env: Record<string, string> }[] = [];
const target: SeedTarget = {
  postgresServices: [],
  redisServices: [],
  commandServices: [],
  sqlUrl: () => "postgres://unused",
  redisUrl: () => "redis://unused",
  restartService: () => Promise.reject(new Error("no services here")),
  appUrl: () => baseUrl,
  async exec(app, command, env) {
    execs.push({ app, command, env });
    return command === "fail" ? { exitCode: 2, output: ["went wrong"] } : { exitCode: 0, output: [] };
  },
};

function scenario(steps: Omit<ResolvedStep, "index" | "file" | "fileIndex">[]): ResolvedScenario {
  return {
    name: "t",
    file: "seed-scenarios/t.yaml",
    description: "",
    extends: null,
    chain: ["t"],
    flags: {},
    checksum: "sha256:x",
    steps: steps.map(
      (step, index) => ({ ...step, index, file: "seed-scenarios/t.yaml", fileIndex: index }) as ResolvedStep,
    ),
  };
}

const http201 = {
  kind: "http",
  app: "api",
  method: "POST",
  path: "/customers",
  headers: {},
  body: { name: "Ada" },
};

describe("runSteps", () => {
  it("sends http steps as JSON, runs commands with their env, and reports each step", async () => {
    const events: StepEvent[] = [];
    await runSteps(
      scenario([http201, { kind: "command", app: "api", run: "node seed.js", env: { N: "3" } }] as never),
      target,
      { signal: new AbortController().signal, onStep: (e) => events.push(e) },
    );
    expect(received.at(-1)).toEqual({
      method: "POST",
      url: "/customers",
      body: '{"name":"Ada"}',
      type: "application/json",
    });
    expect(execs.at(-1)).toEqual({ app: "api", command: "node seed.js", env: { N: "3" } });
    expect(events.map((e) => `${e.index} ${e.kind} ${e.status}`)).toEqual([
      "0 http started",
      "0 http succeeded",
      "1 command started",
      "1 command succeeded",
    ]);
  });

  it("an unexpected status fails the step with the answer as output; later steps do not run", async () => {
    const steps = [
      { kind: "http", app: "api", method: "GET", path: "/teapot", headers: {}, expect: 200 },
      { kind: "command", app: "api", run: "never", env: {} },
    ];
    const error = await runSteps(scenario(steps as never), target, {
      signal: new AbortController().signal,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScenarioStepError);
    expect((error as ScenarioStepError).extensions).toMatchObject({
      index: 0,
      kind: "http",
      target: "api",
      output: ["GET /teapot -> 418", "short", "and stout"],
    });
    expect((error as Error).message).toContain("expected status 200, got 418");
    expect(execs.map((e) => e.command)).not.toContain("never");
  });

  it("a failing command reports its exit code and output", async () => {
    const error = (await runSteps(
      scenario([{ kind: "command", app: "api", run: "fail", env: {} }] as never),
      target,
      {
        signal: new AbortController().signal,
      },
    ).catch((e: unknown) => e)) as ScenarioStepError;
    expect(error.step).toMatchObject({ index: 0, kind: "command", output: ["went wrong"] });
    expect(error.message).toContain("`fail` exited with code 2");
  });
});
