/**
 * Runs a Pulumi program without an engine, a cluster or the pulumi CLI: under
 * `pulumi.runtime.setMocks` (Pulumi's documented way to unit-test a program), every resource the
 * program registers is recorded with the inputs it was given, and the stack's outputs returned.
 * This is how `previewd render` shows what the kubernetes runtime would create, and how the infra
 * programs are tested.
 */
export interface RegisteredResource {
  /** `kubernetes:apps/v1:Deployment`, `docker:index/container:Container`… */
  type: string;
  /** The Pulumi logical name. */
  name: string;
  inputs: Record<string, unknown>;
}

export interface MockedRun<T> {
  outputs: T;
  /** Custom resources (not components), in registration order. */
  resources: RegisteredResource[];
}

export async function runUnderMocks<T>(
  program: () => Promise<T>,
  options: { project?: string; stack?: string; config?: Record<string, string> } = {},
): Promise<MockedRun<T>> {
  // Loaded here, not with the module: most of previewd never needs Pulumi.
  const pulumi = await import("@pulumi/pulumi");
  const resources: RegisteredResource[] = [];
  const project = options.project ?? "previewd";
  if (options.config) {
    // The mock runtime reads configuration from PULUMI_CONFIG, as the engine passes it.
    process.env.PULUMI_CONFIG = JSON.stringify(options.config);
  }
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        if (args.custom !== false) resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call(args) {
        return args.inputs;
      },
    },
    project,
    options.stack ?? "render",
    false,
  );
  // A program that throws is caught inside the stack: rejected there, it would also surface as
  // unhandled rejections from Pulumi's own bookkeeping; here it is thrown once, to the caller.
  let failure: { error: unknown } | undefined;
  const outputs = (await pulumi.runtime.runInPulumiStack(() =>
    program().catch((error: unknown) => {
      failure = { error };
      return undefined;
    }),
  )) as T;
  // Registrations run on after the program returns; this waits for every one.
  await pulumi.runtime.disconnect();
  if (failure) throw failure.error;
  return { outputs, resources };
}
