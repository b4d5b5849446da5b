/**
 * The kubernetes runtime's boundary to Pulumi: a stack per environment, created or selected with
 * the inline preview program, and the few operations the runtime uses. automation-engine.ts
 * implements it with the Automation API; tests use a stand-in that runs the same program under
 * `pulumi.runtime.setMocks`.
 */
import type { EnvironmentEvent } from "../../environments/environment-schema.ts";
import type { PreviewProgram, PreviewProgramOutputs } from "./preview-program.ts";

/** One step of an operation, for the environment's events and log. */
export interface StackEvent {
  /** `create`, `update`, `delete`, `same`, `refresh`…; absent for diagnostics. */
  op?: string;
  /** The Pulumi type (`kubernetes:apps/v1:Deployment`) and name of the resource concerned. */
  type?: string;
  name?: string;
  /** `started`, `succeeded` or `failed` for a resource; `info` (a warning) or `failed` (an error) for a diagnostic. */
  status: EnvironmentEvent["status"];
  message: string;
}

export interface StackOperationOptions {
  signal?: AbortSignal;
  /** The engine's text output, line by line. */
  onOutput?(line: string): void;
  onEvent?(event: StackEvent): void;
}

export interface PreviewStack {
  readonly name: string;
  /** Deploys the program; resolves with its outputs. */
  up(options?: StackOperationOptions): Promise<PreviewProgramOutputs>;
  /** Reads the live objects back into the state; `clearPendingCreates` drops a crashed operation's. */
  refresh(options?: StackOperationOptions & { clearPendingCreates?: boolean }): Promise<void>;
  destroy(options?: StackOperationOptions): Promise<void>;
  /** The outputs of the last successful `up`; undefined when there was none. */
  outputs(): Promise<PreviewProgramOutputs | undefined>;
  /** Releases the lock of an operation that is no longer running (a previewd that crashed mid-`up`). */
  cancel(): Promise<void>;
}

export interface PulumiEngine {
  /** The environment's stack, created on first use. */
  createOrSelectStack(name: string, program: PreviewProgram): Promise<PreviewStack>;
  /** The stacks in the backend (names as the backend lists them). */
  listStacks(): Promise<string[]>;
  /** Forgets a stack whose objects are gone (after `destroy`); a missing stack is fine. */
  removeStack(name: string): Promise<void>;
}
