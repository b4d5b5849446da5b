/**
 * The 404 text for a preview host that names nothing: lists what does exist, so a typo is easy to
 * fix, but only to a caller allowed to know (with a token set, the token holder).
 */
import type { EnvironmentView } from "../environments/environment-schema.ts";

export function unknownHostPage(
  host: string,
  environments: EnvironmentView[],
  options: { listEnvironments: boolean } = { listEnvironments: true },
): string {
  const lines = [`No preview at ${host}.`, ""];
  if (!options.listEnvironments) {
    lines.push("Send Authorization: Bearer <PREVIEWD_TOKEN> to list the known environments.");
  } else if (environments.length === 0) {
    lines.push("There are no environments. Create one with `previewd up` or POST /v1/environments.");
  } else {
    lines.push("Known environments:");
    for (const env of environments) {
      lines.push(`  ${env.id} (${env.status})`);
      for (const [app, view] of Object.entries(env.apps)) lines.push(`    ${app}: ${view.url}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
