/** How the runtime runs its steps: every failure becomes a ProvisionError naming its step and app. */
import { ProvisionError, errorMessage, isPreviewdError } from "../errors.ts";

/** Runs every task to completion, then rethrows the first failure, so nothing is still starting during cleanup. */
export async function settleAll<T extends readonly unknown[]>(
  tasks: [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

export function asProvisionError(error: unknown, step: string, app?: string): ProvisionError {
  if (error instanceof ProvisionError) return error;
  const message = isPreviewdError(error) ? error.message : `${step} failed: ${errorMessage(error)}`;
  return new ProvisionError(message, step, app, [], { cause: error });
}

/** Runs one step, turning any failure into a ProvisionError naming the step (and app). */
export async function step<T>(name: string, app: string | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asProvisionError(error, name, app);
  }
}

/** A promise that never rejects: its outcome is a function that returns the value or throws the error. */
export function settled<T>(promise: Promise<T>): Promise<() => T> {
  return promise.then(
    (value) => () => value,
    (error: unknown) => () => {
      throw error;
    },
  );
}
