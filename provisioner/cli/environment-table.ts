/** The `previewd ls` table: one row per environment, one extra line per further app. */
import type { EnvironmentView } from "../environments/environment-schema.ts";

export function formatEnvironmentTable(environments: EnvironmentView[]): string[] {
  const rows: string[][] = [["ID", "STATUS", "REF", "APPS"]];
  for (const env of environments) {
    const apps = Object.entries(env.apps).map(([name, app]) => `${name} ${app.url}`);
    rows.push([env.id, env.status, env.ref, apps[0] ?? "-"]);
    for (const app of apps.slice(1)) rows.push(["", "", "", app]);
  }
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell))
      .join("  ")
      .trimEnd(),
  );
}
