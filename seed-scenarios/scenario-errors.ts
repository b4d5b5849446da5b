/**
 * A scenario step that failed while loading. Invalid scenario files are ManifestErrors (a file
 * the manifest names), unknown scenarios NotFoundErrors; both come from provisioner/errors.ts.
 */
import { PreviewdError } from "../provisioner/errors.ts";
import type { StepKind } from "./scenario-schema.ts";

export interface FailedStep {
  scenario: string;
  /** Position in the whole run, extended scenarios' steps first (0-based). */
  index: number;
  kind: StepKind;
  /** The app (http, command) or service (sql) the step talked to. */
  target: string;
  /** The scenario file that declares the step, and the step's index in it. */
  file: string;
  fileIndex: number;
  /** What the step printed or answered: SQL error, HTTP body, command output. */
  output: string[];
}

export class ScenarioStepError extends PreviewdError {
  readonly status = 422;
  readonly type = "scenario-step";
  override readonly extensions: Record<string, unknown>;

  constructor(
    readonly step: FailedStep,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `scenario ${step.scenario}: step ${step.index} (${step.kind}, ${step.file}: steps[${step.fileIndex}]) failed: ${reason}`,
      options,
    );
    this.extensions = {
      scenario: step.scenario,
      index: step.index,
      kind: step.kind,
      target: step.target,
      file: step.file,
      fileIndex: step.fileIndex,
      output: step.output,
    };
  }
}
