/**
 * The order of an environment's app image builds, which run side by side (deploy-schedule.ts).
 * The classic builder shares no work between builds that run at the same time: Dockerfiles
 * beginning with the same steps (the shop's three run the same `npm ci`) would each run them. So
 * a build whose first steps match an earlier build's waits until that one has committed them,
 * then takes them from the layer cache; other builds start at once.
 */
import { untilAborted } from "./app-image.ts";
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

export class ImageBuildOrder<J extends ImageJob> {
  readonly #progress: Progress[];

  constructor(readonly jobs: readonly J[]) {
    this.#progress = jobs.map(() => new Progress());
  }

  /**
   * Runs job `index` once the earlier build it shares the most leading steps with has committed
   * them (or ended). Every job is run or `signal` aborts: a build waiting for a leader that never
   * runs gives up with the signal.
   */
  async run<T>(
    index: number,
    signal: AbortSignal,
    work: (job: J, control: JobControl) => Promise<T>,
  ): Promise<T> {
    const progress = this.#progress;
    try {
      const after = this.#leader(index);
      if (after) await untilAborted(progress[after.index]!.passed(after.steps), signal);
      signal.throwIfAborted();
      // Only a leader that ran its steps (rather than finding its image) left layers to reuse.
      const reused = after && progress[after.index]!.step > 0 ? after : undefined;
      return await work(this.jobs[index]!, {
        signal,
        onStep: (step) => progress[index]!.update(step),
        ...(reused && { after: { app: this.jobs[reused.index]!.app, steps: reused.steps } }),
      });
    } finally {
      progress[index]!.update(0, true);
    }
  }

  /** The earlier build sharing the most leading steps with this one, if it shares enough to wait for. */
  #leader(index: number): { index: number; steps: number } | undefined {
    const job = this.jobs[index]!;
    if (!job.steps) return undefined;
    let best: { index: number; steps: number } | undefined;
    for (let earlier = 0; earlier < index; earlier++) {
      const other = this.jobs[earlier]!;
      if (!other.steps) continue;
      const steps = sharedSteps(other.steps, job.steps, other.inputs === job.inputs);
      if (steps >= minimumShared && steps > (best?.steps ?? 0)) best = { index: earlier, steps };
    }
    return best;
  }
}
