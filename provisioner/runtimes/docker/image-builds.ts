/**
 * An environment's app images, built concurrently. The classic builder shares no work between
 * builds that run at the same time: Dockerfiles beginning with the same steps (the shop's three
 * run the same `npm ci`) would each run them. So a build whose first steps match an earlier
 * build's waits until that one has committed them, then takes them from the layer cache; other
 * builds start at once, a few at a time. The first failure aborts the rest.
 */
import { availableParallelism } from "node:os";
import { Semaphore } from "async-mutex";
import { sharedSteps } from "./dockerfile-steps.ts";

export interface ImageJob {
  app: string;
  /** The Dockerfile's steps; undefined when nothing is built (the image is there or pulled). */
  steps?: string[];
  /** Context directory and build args: jobs with equal inputs share COPY, ADD and ARG steps too. */
  inputs?: string;
}

export interface JobControl {
  signal: AbortSignal;
  /** Report each Dockerfile step the builder starts (1-based, as in "Step 9/25"). */
  onStep(step: number): void;
  /** The earlier build this one waited for, and how many of its steps it reuses. */
  after?: { app: string; steps: number };
}

class Progress {
  step = 0;
  ended = false;
  readonly #waiters: { past: number; resolve(): void }[] = [];

  /** Resolves once the build started a step after `past` (so `past` steps are committed) or ended. */
  passed(past: number): Promise<void> {
    if (this.ended || this.step > past) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ past, resolve }));
  }

  update(step: number, ended = false): void {
    this.step = Math.max(this.step, step);
    this.ended ||= ended;
    for (const waiter of [...this.#waiters]) {
      if (!this.ended && this.step <= waiter.past) continue;
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}

/** Waiting for a shared FROM alone gains nothing. */
const minimumShared = 2;

/**
 * Runs every job; resolves with their results in order, or rejects with the first failure once
 * every job has ended. A build uses CPU in its RUN steps and the engine's disk between them (each
 * step commits a layer), so one build more than there are cores keeps both busy.
 */
export async function runImageJobs<J extends ImageJob, T>(
  jobs: J[],
  signal: AbortSignal,
  run: (job: J, control: JobControl) => Promise<T>,
  limit = availableParallelism() + 1,
): Promise<T[]> {
  const abort = new AbortController();
  const jobSignal = AbortSignal.any([signal, abort.signal]);
  const slots = new Semaphore(limit);
  const progress = jobs.map(() => new Progress());
  let failure: { error: unknown } | undefined;
  const results = await Promise.allSettled(
    jobs.map(async (job, index) => {
      try {
        const after = leader(jobs, index);
        if (after) await progress[after.index]!.passed(after.steps);
        jobSignal.throwIfAborted();
        // Only a leader that ran its steps (rather than finding its image) left layers to reuse.
        const reused = after && progress[after.index]!.step > 0 ? after : undefined;
        const control: JobControl = {
          signal: jobSignal,
          onStep: (step) => progress[index]!.update(step),
          ...(reused && { after: { app: jobs[reused.index]!.app, steps: reused.steps } }),
        };
        return await slots.runExclusive(() => run(job, control));
      } catch (error) {
        failure ??= { error };
        abort.abort();
        throw error;
      } finally {
        progress[index]!.update(0, true);
      }
    }),
  );
  if (failure) throw failure.error;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** The earlier build sharing the most leading steps with this one, if it shares enough to wait for. */
function leader(jobs: ImageJob[], index: number): { index: number; steps: number } | undefined {
  const job = jobs[index]!;
  if (!job.steps) return undefined;
  let best: { index: number; steps: number } | undefined;
  for (let earlier = 0; earlier < index; earlier++) {
    const other = jobs[earlier]!;
    if (!other.steps) continue;
    const steps = sharedSteps(other.steps, job.steps, other.inputs === job.inputs);
    if (steps >= minimumShared && steps > (best?.steps ?? 0)) best = { index: earlier, steps };
  }
  return best;
}
