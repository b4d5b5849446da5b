/** MCP tools for an environment's lifecycle: create (or update), list, get, redeploy, delete. */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import {
  flagValueSchema,
  runtimeNameSchema,
  type EnvironmentView,
} from "../environments/environment-schema.ts";
import type { PreviewdClient } from "../cli/client.ts";
import { asToolResult, jsonResult, textResult } from "./tool-results.ts";

const id = z.string().min(1).describe("the environment's id, e.g. shop-feature-x-3f2a");

export function registerEnvironmentTools(server: McpServer, client: PreviewdClient): void {
  server.registerTool(
    "create_environment",
    {
      title: "Create or update an environment",
      description:
        "Start a running environment (all apps, a fresh database, a seed scenario, flags) for a repo and ref, " +
        "or return the existing one for the same repo, ref and dir (updating it if the ref moved). " +
        "Waits until it is ready or failed unless wait is false.",
      inputSchema: {
        repo: z.string().min(1).describe("a local path or git URL"),
        ref: z.string().optional().describe("branch, tag or commit; default: the repo's HEAD"),
        dir: z.string().optional().describe("the monorepo root inside the repo, if not its root"),
        worktree: z.string().optional().describe("an existing local worktree to run as it is"),
        scenario: z.string().optional().describe("seed scenario to load; default: the manifest's"),
        flags: z.record(z.string(), flagValueSchema).optional().describe("feature flag values"),
        runtime: runtimeNameSchema.optional(),
        ttl: z.union([z.number(), z.string()]).optional().describe('seconds or "30m", "2h", "7d"'),
        wait: z.boolean().default(true).describe("wait until ready or failed"),
        timeout: z.number().int().positive().max(3600).default(600).describe("seconds to wait"),
      },
    },
    ({ wait, timeout, ...request }) =>
      asToolResult(async () => {
        const { environment, created } = await client.createEnvironment(request, { wait, timeout });
        return jsonResult(environment, `${created ? "created" : "existing"}: ${summary(environment)}`);
      }),
  );

  server.registerTool(
    "list_environments",
    { title: "List environments", description: "Every environment previewd runs, with status and URLs." },
    () =>
      asToolResult(async () => {
        const environments = await client.listEnvironments();
        if (environments.length === 0) return textResult("no environments");
        return jsonResult(environments, environments.map(summary).join("\n"));
      }),
  );

  server.registerTool(
    "get_environment",
    {
      title: "Get an environment",
      description: "Status, app URLs, flags, devtools endpoints, timings and error of one environment.",
      inputSchema: { id },
    },
    ({ id }) => asToolResult(async () => jsonResult(await client.getEnvironment(id))),
  );

  server.registerTool(
    "redeploy_environment",
    {
      title: "Redeploy an environment",
      description:
        "Fetch the ref again; rebuild and restart only the apps whose inputs changed. " +
        "Waits until the redeploy is ready or failed (the old code serves until then) unless wait is false.",
      inputSchema: {
        id,
        wait: z.boolean().default(true).describe("wait until the redeploy is ready or failed"),
        timeout: z.number().int().positive().max(3600).default(600).describe("seconds to wait"),
      },
    },
    ({ id, wait, timeout }) =>
      asToolResult(async () => {
        if (!wait) return jsonResult((await client.redeploy(id)).environment, `redeploying ${id}`);
        const { environment, settled } = await redeployAndWait(client, id, timeout);
        const outcome = settled
          ? `redeployed: ${summary(environment)}`
          : `still redeploying after ${timeout} s: ${summary(environment)}`;
        return jsonResult(environment, outcome);
      }),
  );

  server.registerTool(
    "delete_environment",
    {
      title: "Delete an environment",
      description: "Stop everything, free its ports, remove its worktree and data.",
      inputSchema: { id, wait: z.boolean().default(true).describe("wait until it is gone") },
    },
    ({ id, wait }) =>
      asToolResult(async () => {
        const environment = await client.deleteEnvironment(id, { wait });
        return environment ? jsonResult(environment, `deleting ${id}`) : textResult(`deleted ${id}`);
      }),
  );
}

/** Node's fetch gives up on a response's headers after 300 s: a longer wait goes on in slices. */
const WAIT_SLICE_SECONDS = 240;

async function redeployAndWait(
  client: PreviewdClient,
  id: string,
  timeoutSeconds: number,
): Promise<{ environment: EnvironmentView; settled: boolean }> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const slice = () => Math.max(1, Math.min(WAIT_SLICE_SECONDS, Math.ceil((deadline - Date.now()) / 1000)));
  let { environment, settled } = await client.redeploy(id, { wait: true, timeout: slice() });
  while (!settled && Date.now() < deadline) {
    environment = await client.getEnvironment(id, { wait: true, timeout: slice() });
    settled = environment.status !== "provisioning" && environment.status !== "updating";
  }
  return { environment, settled };
}

function summary(environment: EnvironmentView): string {
  const apps = Object.entries(environment.apps).map(([name, app]) => `${name} ${app.url}`);
  return `${environment.id} (${environment.status}) ${apps.join(" ")}`;
}
