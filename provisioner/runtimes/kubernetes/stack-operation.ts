/**
 * One Pulumi operation on an environment's stack: its progress as the environment's events (named
 * by app where an object belongs to one), its output in the logs, a failure a ProvisionError
 * naming the objects that failed. While it runs, a mark in the environment's data dir says so: a
 * previewd that crashed mid-`up` leaves it behind, and the next one then knows the stack may be
 * locked and hold pending creates, and cancels and refreshes before using it (crash recovery).
 */
import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../../atomic-file.ts";
import { ProvisionError, errorMessage } from "../../errors.ts";
import { asProvisionError } from "../provision-steps.ts";
import type { RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import type { StackOperationOptions } from "./pulumi-engine.ts";

export async function runStackOperation<T>(
  env: RuntimeEnvironment,
  ctx: RuntimeContext,
  name: string,
  work: (options: StackOperationOptions) => Promise<T>,
): Promise<T> {
  const failures: { app?: string; message: string }[] = [];
  const output: string[] = [];
  ctx.event({ step: "start", status: "started", message: `pulumi ${name}` });
  try {
    const result = await marked(env.dataDir, name, () =>
      work({
        signal: ctx.signal,
        onOutput: (line) => {
          output.push(line);
          if (output.length > 30) output.shift();
          ctx.logs.append(env.id, { app: "previewd", stream: "system", line });
        },
        onEvent: (event) => {
          const app = event.name === undefined ? undefined : appOf(env, event.name);
          if (event.status === "failed") failures.push({ ...(app && { app }), message: event.message });
          ctx.event({ step: "start", ...(app && { app }), status: event.status, message: event.message });
        },
      }),
    );
    ctx.event({ step: "start", status: "succeeded", message: `pulumi ${name}` });
    return result;
  } catch (error) {
    if (error instanceof ProvisionError) throw error;
    const failed = failures.length > 0 ? `: ${failures.map((f) => f.message).join("; ")}` : "";
    throw new ProvisionError(
      `pulumi ${name} failed${failed}: ${errorMessage(error)}`,
      "start",
      failures[0]?.app,
      output,
      {
        cause: asProvisionError(error, "start"),
      },
    );
  }
}

/** The app or service a resource belongs to: objects are named `<env-id>-<kind>-<name>` (preview-environment.ts). */
function appOf(env: RuntimeEnvironment, resource: string): string | undefined {
  const names = [...Object.keys(env.manifest.apps), ...Object.keys(env.manifest.services)];
  return names.find((name) => resource.endsWith(`-${name}`));
}

function markFile(dataDir: string): string {
  return path.join(dataDir, "pulumi-operation.json");
}

/** Runs `work` with the mark in place; it is removed only once `work` settled. */
export async function marked<T>(dataDir: string, operation: string, work: () => Promise<T>): Promise<T> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(
    markFile(dataDir),
    JSON.stringify({ operation, startedAt: new Date().toISOString() }),
  );
  try {
    return await work();
  } finally {
    await rm(markFile(dataDir), { force: true });
  }
}

/** The operation a previous previewd left unfinished, if any. */
export async function unfinishedOperation(dataDir: string): Promise<string | undefined> {
  try {
    const mark = JSON.parse(await readFile(markFile(dataDir), "utf8")) as { operation?: unknown };
    return typeof mark.operation === "string" ? mark.operation : "unknown";
  } catch {
    return undefined;
  }
}
