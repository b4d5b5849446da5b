/**
 * PulumiEngine on the Automation API: a LocalWorkspace per stack with the inline preview
 * program, project `previewd`, the configured backend (a file backend under the data dir by
 * default), the passphrase secrets provider (its file, never its value), and the kubeconfig
 * context as the kubernetes provider's config. Needs the pulumi CLI; loaded on first use.
 */
import type * as automation from "@pulumi/pulumi/automation/index.js";
import { mkdir } from "node:fs/promises";
import type { PreviewProgram, PreviewProgramOutputs } from "./preview-program.ts";
import type { PreviewStack, PulumiEngine, StackOperationOptions } from "./pulumi-engine.ts";
import { stackEventOf } from "./stack-events.ts";

export interface AutomationEngineOptions {
  backendUrl: string;
  passphraseFile: string;
  /** Where pulumi keeps its plugins and workspaces (PULUMI_HOME); its `bin/pulumi` is used if there. */
  pulumiHome?: string;
  /** The kubeconfig context the kubernetes provider uses; default: the current one. */
  context?: string;
}

const project = "previewd";

type Automation = typeof automation;
let loaded: Promise<Automation> | undefined;
const load = () => (loaded ??= import("@pulumi/pulumi/automation/index.js"));

export function createAutomationEngine(options: AutomationEngineOptions): PulumiEngine {
  const workspaceOptions = async (a: Automation, program?: PreviewProgram) => {
    if (options.backendUrl.startsWith("file://")) {
      await mkdir(new URL(options.backendUrl).pathname, { recursive: true, mode: 0o700 });
    }
    const pulumiCommand = options.pulumiHome
      ? await a.PulumiCommand.get({ root: options.pulumiHome, skipVersionCheck: true }).catch(() => undefined)
      : undefined;
    return {
      ...(options.pulumiHome && { pulumiHome: options.pulumiHome }),
      ...(pulumiCommand && { pulumiCommand }),
      ...(program && { program }),
      secretsProvider: "passphrase",
      envVars: {
        PULUMI_BACKEND_URL: options.backendUrl,
        PULUMI_CONFIG_PASSPHRASE_FILE: options.passphraseFile,
        PULUMI_SKIP_UPDATE_CHECK: "true",
      },
      projectSettings: { name: project, runtime: "nodejs" as const, backend: { url: options.backendUrl } },
    } satisfies automation.LocalWorkspaceOptions;
  };

  return {
    async createOrSelectStack(name, program) {
      const a = await load();
      const stack = await a.LocalWorkspace.createOrSelectStack(
        { stackName: name, projectName: project, program },
        await workspaceOptions(a, program),
      );
      if (options.context) await stack.setConfig("kubernetes:context", { value: options.context });
      return automationStack(stack);
    },
    async listStacks() {
      const a = await load();
      const workspace = await a.LocalWorkspace.create(await workspaceOptions(a));
      return (await workspace.listStacks({ all: true })).map((s) => s.name);
    },
    async removeStack(name) {
      const a = await load();
      const workspace = await a.LocalWorkspace.create(await workspaceOptions(a));
      await workspace.removeStack(name).catch((error: unknown) => {
        if (!(error instanceof a.StackNotFoundError)) throw error;
      });
    },
  };
}

function automationStack(stack: automation.Stack): PreviewStack {
  const streams = (o: StackOperationOptions = {}) => ({
    ...(o.signal && { signal: o.signal }),
    ...(o.onOutput && { onOutput: lines(o.onOutput) }),
    ...(o.onEvent && {
      onEvent: (event: automation.EngineEvent) => {
        const mapped = stackEventOf(event);
        if (mapped) o.onEvent?.(mapped);
      },
    }),
  });
  const outputsOf = (values: automation.OutputMap): PreviewProgramOutputs | undefined =>
    Object.keys(values).length === 0
      ? undefined
      : (Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.value])) as PreviewProgramOutputs);
  return {
    name: stack.name,
    async up(options) {
      const result = await stack.up(streams(options));
      const outputs = outputsOf(result.outputs);
      if (!outputs) throw new TypeError(`stack ${stack.name}: the preview program exported nothing`);
      return outputs;
    },
    async refresh(options = {}) {
      await stack.refresh({
        ...streams(options),
        ...(options.clearPendingCreates && { clearPendingCreates: true }),
      });
    },
    async destroy(options) {
      await stack.destroy(streams(options));
    },
    async outputs() {
      return outputsOf(await stack.outputs());
    },
    cancel: () => stack.cancel(),
  };
}

/** The engine's output comes in chunks; the caller gets whole lines. */
function lines(onLine: (line: string) => void): (chunk: string) => void {
  return (chunk) => {
    for (const line of chunk.split("\n")) if (line.trim()) onLine(line.trimEnd());
  };
}
