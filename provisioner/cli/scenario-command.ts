/**
 * `previewd scenario <env> [name]`: reset an environment's data and load a scenario, or list the
 * scenarios when no name is given. A failing step prints its output; the data is then back at
 * its reset state.
 */
import { Command } from "commander";
import { ApiProblemError } from "./client-errors.ts";
import { addServerOption, clientFor } from "./server-options.ts";

export function scenarioCommand(): Command {
  return addServerOption(new Command("scenario"))
    .description("reset an environment's data and load a seed scenario (without a name: list them)")
    .argument("<env>", "environment id")
    .argument("[name]", "scenario name (a file of the monorepo's seed-scenarios folder, without .yaml)")
    .action(async (id: string, name: string | undefined, options: { server?: string }) => {
      const client = clientFor(options);
      if (name === undefined) {
        const current = (await client.getEnvironment(id)).seed?.scenario;
        for (const scenario of await client.listScenarios(id)) {
          const mark = scenario.name === current ? "*" : " ";
          const base = scenario.extends ? ` (extends ${scenario.extends})` : "";
          const about = scenario.error ? `invalid: ${scenario.error}` : scenario.description;
          console.log(
            `${mark} ${scenario.name.padEnd(20)} ${String(scenario.steps).padStart(3)} steps  ${about}${base}`,
          );
        }
        return;
      }
      const started = Date.now();
      try {
        const environment = await client.loadScenario(id, name);
        console.log(
          `loaded ${name} into ${environment.id} in ${Date.now() - started} ms (${environment.seed?.checksum})`,
        );
      } catch (error) {
        const output = error instanceof ApiProblemError ? error.problem.output : undefined;
        if (Array.isArray(output)) for (const line of output) console.error(`  | ${String(line)}`);
        throw error;
      }
    });
}
