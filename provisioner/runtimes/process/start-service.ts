/** Starting one backing service of an environment (Postgres is the only type), with its events. */
import type { DeployedService, RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import type { OutputCapture } from "./output-capture.ts";
import { postgresUrl, startPostgres, type PostgresHandle } from "./postgres-service.ts";

export interface StartServiceOptions {
  env: RuntimeEnvironment;
  ctx: RuntimeContext;
  name: string;
  owner: string;
  port: number;
  /** The handle of the same service's previous run: its data and password are reused. */
  previous: PostgresHandle | undefined;
  output: OutputCapture;
  readyTimeoutMs: number;
  /** Where initialised clusters are kept to be copied; undefined: initdb each time. */
  templatesDir?: string;
}

export async function startService(options: StartServiceOptions): Promise<DeployedService | undefined> {
  const { env, ctx, name, port } = options;
  const spec = env.manifest.services[name];
  if (!spec) return undefined;
  if (spec.type !== "postgres") throw new Error(`services of type ${spec.type} are not supported yet`);
  ctx.event({ step: "services", app: name, status: "started", message: `starting ${spec.type}` });
  const { handle } = await startPostgres({
    owner: options.owner,
    envId: env.id,
    name,
    database: spec.database ?? name,
    envDataDir: env.dataDir,
    port,
    password: options.previous?.password,
    output: options.output,
    signal: ctx.signal,
    readyTimeoutMs: options.readyTimeoutMs,
    ...(options.templatesDir && { templatesDir: options.templatesDir }),
  });
  ctx.event({
    step: "services",
    app: name,
    status: "succeeded",
    message: `${spec.type} listening on port ${port}`,
  });
  const url = postgresUrl(handle);
  // The process runtime's apps run on the same loopback as previewd: one URL for both.
  return { type: spec.type, status: "running", url, internalUrl: url, handle: { ...handle } };
}
