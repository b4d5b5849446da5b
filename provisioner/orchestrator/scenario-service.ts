/** What the HTTP API asks of previewd about seed scenarios. */
import type { EnvironmentView } from "../environments/environment-schema.ts";
import type { ScenarioSummary } from "../environments/scenario-api-schema.ts";

export interface ScenarioService {
  /** Every scenario in the environment's worktree. Throws NotFoundError for an unknown environment. */
  listScenarios(id: string): Promise<ScenarioSummary[]>;
  /**
   * Resets the environment's data and loads the scenario; resolves once it is loaded. Throws
   * NotFoundError (unknown scenario), ManifestError (invalid file), ScenarioStepError (a step failed;
   * the data is back at its reset state) or ConflictError (the environment is not ready).
   */
  loadScenario(id: string, name: string): Promise<EnvironmentView>;
}
