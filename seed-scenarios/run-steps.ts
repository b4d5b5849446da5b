/** Runs a resolved scenario's steps in order against a target; the first failure stops the run. */
import type { ResolvedScenario, ResolvedStep } from "./load-scenario.ts";
import { ScenarioStepError } from "./scenario-errors.ts";
import type { SeedTarget } from "./seed-target.ts";
import { runHttp } from "./http-step.ts";
import type { SqlSessions } from "./sql-sessions.ts";
import { runSql } from "./sql-step.ts";

export interface StepEvent {
  index: number;
  kind: ResolvedStep["kind"];
  /** The app or service the step talks to. */
  target: string;
  status: "started" | "succeeded" | "failed";
  message: string;
}

export interface RunStepsOptions {
  signal: AbortSignal;
  onStep?(event: StepEvent): void;
  /** Connections the `sql` steps share; without it each step opens and closes its own. */
  sessions?: SqlSessions;
}

export async function runSteps(
  scenario: ResolvedScenario,
  target: SeedTarget,
  options: RunStepsOptions,
): Promise<void> {
  const total = scenario.steps.length;
  for (const step of scenario.steps) {
    options.signal.throwIfAborted();
    const label = `step ${step.index + 1}/${total} ${describe(step)}`;
    const base = { index: step.index, kind: step.kind, target: targetOf(step) };
    options.onStep?.({ ...base, status: "started", message: label });
    const started = performance.now();
    const outcome = await runStep(step, target, options);
    if (!outcome.ok) {
      options.onStep?.({ ...base, status: "failed", message: `${label}: ${outcome.reason}` });
      throw new ScenarioStepError(
        {
          scenario: scenario.name,
          index: step.index,
          kind: step.kind,
          target: base.target,
          file: step.file,
          fileIndex: step.fileIndex,
          output: outcome.output,
        },
        outcome.reason,
      );
    }
    const ms = Math.round(performance.now() - started);
    options.onStep?.({ ...base, status: "succeeded", message: `${label} (${ms} ms)` });
  }
}

interface Outcome {
  ok: boolean;
  reason: string;
  output: string[];
}

async function runStep(step: ResolvedStep, target: SeedTarget, options: RunStepsOptions): Promise<Outcome> {
  const { signal } = options;
  switch (step.kind) {
    case "sql": {
      const result = await runSql(target.sqlUrl(step.service), step.sql, signal, options.sessions);
      return { ...result, reason: result.output.at(-1) ?? "the query failed" };
    }
    case "http": {
      const result = await runHttp(target.appUrl(step.app), step, signal);
      const wanted = step.expect === undefined ? "a 2xx status" : `status ${step.expect}`;
      const got = result.status === 0 ? "no answer" : `${result.status}`;
      return { ...result, reason: `expected ${wanted}, got ${got}` };
    }
    case "command": {
      const result = await target.exec(step.app, step.run, step.env, signal);
      return {
        ok: result.exitCode === 0,
        reason: `\`${step.run}\` exited with code ${result.exitCode}`,
        output: result.output,
      };
    }
  }
}

function describe(step: ResolvedStep): string {
  switch (step.kind) {
    case "sql":
      return `sql ${step.service}: ${step.source === "query" ? oneLine(step.sql) : step.source}`;
    case "http":
      return `http ${step.app}: ${step.method} ${step.path}`;
    case "command":
      return `command ${step.app}: ${oneLine(step.run)}`;
  }
}

function targetOf(step: ResolvedStep): string {
  return step.kind === "sql" ? step.service : step.app;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}
