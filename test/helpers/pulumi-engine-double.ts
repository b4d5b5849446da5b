/**
 * A stand-in for the Automation API boundary (provisioner/runtimes/kubernetes/pulumi-engine.ts):
 * stacks kept in memory, each `up` running the real inline program under
 * `pulumi.runtime.setMocks` (infra/preview-environment/mocked-program.ts) and recording every
 * object it registers, so a test sees what a real engine would have been asked to create. It
 * keeps what a real backend keeps across a previewd restart (hand the same double to the next
 * runtime), including a lock and pending creates left by an `up` that never finished.
 */
import { runUnderMocks, type RegisteredResource } from "../../infra/preview-environment/mocked-program.ts";
import type {
  PreviewProgram,
  PreviewProgramOutputs,
} from "../../provisioner/runtimes/kubernetes/preview-program.ts";
import type {
  PreviewStack,
  PulumiEngine,
  StackOperationOptions,
} from "../../provisioner/runtimes/kubernetes/pulumi-engine.ts";

export interface StackRecord {
  outputs?: PreviewProgramOutputs;
  resources: RegisteredResource[];
  locked: boolean;
  pendingCreates: number;
  destroyed: boolean;
}

/** What the next `up` does: finish, fail on its first resource, or hang holding the lock (a crash). */
export type UpBehaviour = "finish" | "fail" | "hang";

export class PulumiEngineDouble implements PulumiEngine {
  readonly stacks = new Map<string, StackRecord>();
  /** Every operation, as `<op> <stack>`. */
  readonly calls: string[] = [];
  nextUp: UpBehaviour = "finish";
  /** Called after each finished `up` with what the program registered: tests mirror it into a cluster double. */
  onUp?: (
    stack: string,
    run: { outputs: PreviewProgramOutputs; resources: RegisteredResource[] },
  ) => Promise<void>;
  /** Settles an `up` left hanging. */
  release?: () => void;

  createOrSelectStack(name: string, program: PreviewProgram): Promise<PreviewStack> {
    this.calls.push(`select ${name}`);
    if (!this.stacks.has(name)) {
      this.stacks.set(name, { resources: [], locked: false, pendingCreates: 0, destroyed: false });
    }
    return Promise.resolve(this.#stack(name, program));
  }

  listStacks(): Promise<string[]> {
    return Promise.resolve([...this.stacks.keys()]);
  }

  removeStack(name: string): Promise<void> {
    this.calls.push(`remove ${name}`);
    this.stacks.delete(name);
    return Promise.resolve();
  }

  #stack(name: string, program: PreviewProgram): PreviewStack {
    const record = () => {
      const found = this.stacks.get(name);
      if (!found) throw new Error(`no stack named ${name}`);
      return found;
    };
    const locked = (operation: string) => {
      if (record().locked) {
        throw new Error(`${operation} ${name}: [409] Conflict: Another update is currently in progress.`);
      }
    };
    return {
      name,
      up: async (options: StackOperationOptions = {}) => {
        this.calls.push(`up ${name}`);
        locked("up");
        const behaviour = this.nextUp;
        this.nextUp = "finish";
        const run = await runUnderMocks(program, { stack: name });
        const stack = record();
        stack.locked = true;
        if (behaviour === "hang") {
          stack.pendingCreates = run.resources.length;
          return new Promise<PreviewProgramOutputs>((_resolve, reject) => {
            this.release = () => reject(new Error("the process running this update died"));
          });
        }
        for (const resource of run.resources) {
          const op = stack.resources.some((r) => r.name === resource.name) ? "update" : "create";
          const event = { op, type: resource.type, name: resource.name };
          options.onEvent?.({
            ...event,
            status: "started",
            message: `${op} ${resource.type} ${resource.name}`,
          });
          if (behaviour === "fail") {
            options.onEvent?.({
              ...event,
              status: "failed",
              message: `${op} ${resource.type} ${resource.name}: ImagePullBackOff`,
            });
            stack.locked = false;
            throw new Error("update failed");
          }
          options.onEvent?.({
            ...event,
            status: "succeeded",
            message: `${op} ${resource.type} ${resource.name}`,
          });
        }
        options.onOutput?.(`Resources: ${run.resources.length}`);
        Object.assign(stack, { outputs: run.outputs, resources: run.resources, locked: false });
        await this.onUp?.(name, run);
        return run.outputs;
      },
      refresh: (options = {}) => {
        this.calls.push(`refresh ${name}${options.clearPendingCreates ? " --clear-pending-creates" : ""}`);
        locked("refresh");
        if (options.clearPendingCreates) record().pendingCreates = 0;
        return Promise.resolve();
      },
      destroy: () => {
        this.calls.push(`destroy ${name}`);
        locked("destroy");
        Object.assign(record(), { resources: [], outputs: undefined, destroyed: true });
        return Promise.resolve();
      },
      outputs: () => Promise.resolve(record().outputs),
      cancel: () => {
        this.calls.push(`cancel ${name}`);
        record().locked = false;
        return Promise.resolve();
      },
    };
  }
}
