/** Starting one backing service of an environment (postgres, redis or command), with its events. */
import type { DeployedService, RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import { commandServiceUrl, startCommandService } from "./command-service.ts";
import type { OutputCapture } from "./output-capture.ts";
import { postgresHandle } from "./process-handles.ts";
import { postgresUrl, startPostgres } from "./postgres-service.ts";
import { redisUrl, startRedis } from "./redis-service.ts";
import { commandServiceInputHash } from "../service-input-hash.ts";

export interface StartServiceOptions {
  env: RuntimeEnvironment;
  ctx: RuntimeContext;
  name: string;
  owner: string;
  port: number;
  /** The same service's previous run: Postgres reuses its data and password. */
  previous: DeployedService | undefined;
  output: OutputCapture;
  readyTimeoutMs: number;
  stopGraceMs: number;
  /** Where initialised clusters are kept to be copied; undefined: initdb each time. */
  templatesDir?: string;
}

type Started = Pick<DeployedService, "url"> & { handle: Record<string, unknown> };

async function start(options: StartServiceOptions): Promise<Started | undefined> {
  const { env, ctx, name, port } = options;
  const spec = env.manifest.services[name];
  const common = { env, owner: options.owner, name, port, output: options.output, signal: ctx.signal };
  switch (spec?.type) {
    case undefined:
      return undefined;
    case "postgres": {
      const { handle } = await startPostgres({
        owner: options.owner,
        envId: env.id,
        name,
        database: spec.database ?? name,
        envDataDir: env.dataDir,
        port,
        password: postgresHandle(options.previous)?.password,
        output: options.output,
        signal: ctx.signal,
        readyTimeoutMs: options.readyTimeoutMs,
        ...(options.templatesDir && { templatesDir: options.templatesDir }),
      });
      return { url: postgresUrl(handle), handle: { ...handle } };
    }
    case "redis": {
      const handle = await startRedis({ ...common, readyTimeoutMs: options.readyTimeoutMs });
      return { url: redisUrl(port), handle: { ...handle } };
    }
    case "command": {
      const inputHash = await commandServiceInputHash(env.rootDir, env.manifest, name);
      const handle = await startCommandService({
        ...common,
        spec,
        readyTimeoutMs: options.readyTimeoutMs,
        stopGraceMs: options.stopGraceMs,
      });
      return { url: commandServiceUrl(port), handle: { ...handle, inputHash } };
    }
  }
}

export async function startService(options: StartServiceOptions): Promise<DeployedService | undefined> {
  const { env, ctx, name, port } = options;
  const spec = env.manifest.services[name];
  if (!spec) return undefined;
  ctx.event({ step: "services", app: name, status: "started", message: `starting ${spec.type}` });
  const started = await start(options);
  if (!started) return undefined;
  ctx.event({
    step: "services",
    app: name,
    status: "succeeded",
    message: `${spec.type} listening on port ${port}`,
  });
  // The process runtime's apps run on the same loopback as previewd: one URL for both.
  return {
    type: spec.type,
    status: "running",
    url: started.url,
    internalUrl: started.url,
    handle: started.handle,
  };
}
