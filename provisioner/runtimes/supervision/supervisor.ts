/**
 * The supervision loop every runtime shares: look at each app and service once a second; one that
 * exited is `crashed`, an app failing its health check a few times in a row is `unhealthy`, and
 * either is restarted after a backoff (restart-backoff.ts) until it is up again. Runtimes supply
 * the units: how to look at one, how to restart it, and where its status goes.
 */
import type { EnvironmentEvent } from "../../environments/environment-schema.ts";
import { errorMessage } from "../../errors.ts";
import type { Supervision } from "../runtime.ts";
import { defaultBackoff, RestartBackoff, type BackoffPolicy } from "./restart-backoff.ts";

/** One look at a unit: running and answering, running but failing its health check, or gone. */
export type Probe =
  { state: "up" } | { state: "failing"; reason: string } | { state: "exited"; reason: string };

export type UnitStatus = "up" | "unhealthy" | "crashed" | "starting";

export interface SupervisedUnit {
  kind: "app" | "service";
  name: string;
  /** Its status when the watch starts (a deployment adopted while an app was down says `crashed`). */
  status: UnitStatus;
  /** Throws when it cannot tell (the engine does not answer): nothing is decided on that. */
  probe(signal: AbortSignal): Promise<Probe>;
  /**
   * Stops what is left of it and starts it again, on its port with its data; resolves once it is
   * up. Throws if it does not come up, having stopped what it started.
   */
  restart(signal: AbortSignal): Promise<void>;
  /** Its status changed; the runtime records it with the unit's current handle. */
  report(status: UnitStatus): void;
}

export interface SupervisorOptions {
  units: SupervisedUnit[];
  event(event: Omit<EnvironmentEvent, "ts">): void;
  /** Between looks (default 1 s). */
  intervalMs?: number;
  /** Failed health checks in a row before an app is `unhealthy` (default 3) and before it is restarted (default 10). */
  unhealthyAfter?: number;
  restartAfter?: number;
  backoff?: BackoffPolicy;
  now?: () => number;
}

/** Resolves true after `ms`, or false as soon as `signal` aborts; leaves no timer behind either way. */
function delay(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

class UnitWatch {
  #status: UnitStatus;
  #failures = 0;
  #restarts = 0;
  readonly #backoff: RestartBackoff;

  constructor(
    private readonly unit: SupervisedUnit,
    private readonly options: Required<Omit<SupervisorOptions, "units" | "event" | "backoff">> &
      Pick<SupervisorOptions, "event">,
    backoff: BackoffPolicy,
    private readonly signal: AbortSignal,
  ) {
    this.#status = unit.status;
    this.#backoff = new RestartBackoff(backoff, options.now);
  }

  async run(): Promise<void> {
    while (await delay(this.options.intervalMs, this.signal)) {
      let look: Probe;
      try {
        look = await this.unit.probe(this.signal);
      } catch {
        continue;
      }
      if (this.signal.aborted) return;
      if (look.state === "up") {
        this.#failures = 0;
        this.#backoff.up();
        if (this.#status !== "up") this.#recovered("answering again");
        continue;
      }
      this.#backoff.down();
      if (look.state === "failing") {
        this.#failures++;
        if (this.#failures >= this.options.unhealthyAfter && this.#status === "up") {
          this.#set("unhealthy");
          this.#event("failed", `unhealthy: ${look.reason}`);
        }
        if (this.#failures < this.options.restartAfter) continue;
        this.#event("failed", `still unhealthy after ${this.#failures} checks: ${look.reason}`);
      } else {
        this.#set("crashed");
        this.#event("failed", `crashed: ${look.reason}`);
      }
      await this.#restart();
      this.#failures = 0;
    }
  }

  /** Restarts after the backoff, again and again, until it is up or the watch stops. */
  async #restart(): Promise<void> {
    for (;;) {
      const wait = this.#backoff.next();
      const attempt = ++this.#restarts;
      this.#event("info", `restart #${attempt} in ${seconds(wait)}`);
      if (!(await delay(wait, this.signal))) return;
      this.#set("starting");
      this.#event("started", `restarting (#${attempt})`);
      try {
        await this.unit.restart(this.signal);
        if (this.signal.aborted) return;
        this.#recovered(`restarted (#${attempt})`);
        return;
      } catch (error) {
        if (this.signal.aborted) return;
        this.#set("crashed");
        this.#event("failed", `restart #${attempt} failed: ${errorMessage(error)}`);
      }
    }
  }

  #recovered(message: string): void {
    this.#set("up");
    this.#backoff.up();
    this.#event("succeeded", message);
  }

  #set(status: UnitStatus): void {
    if (status === this.#status || this.signal.aborted) return;
    this.#status = status;
    this.unit.report(status);
  }

  #event(status: EnvironmentEvent["status"], message: string): void {
    if (this.signal.aborted) return;
    this.options.event({
      step: "supervise",
      app: this.unit.name,
      status,
      message: `${this.unit.kind} ${message}`,
    });
  }
}

/** Watches every unit until `stop()`, which waits for a restart under way to give up. */
export function startSupervisor(options: SupervisorOptions): Supervision {
  const controller = new AbortController();
  const settings = {
    event: options.event,
    intervalMs: options.intervalMs ?? 1_000,
    unhealthyAfter: options.unhealthyAfter ?? 3,
    restartAfter: options.restartAfter ?? 10,
    now: options.now ?? Date.now,
  };
  const watches = options.units.map((unit) =>
    new UnitWatch(unit, settings, options.backoff ?? defaultBackoff, controller.signal)
      .run()
      .catch(() => undefined),
  );
  return {
    async stop() {
      controller.abort();
      await Promise.all(watches);
    },
  };
}
