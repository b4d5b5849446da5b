/** Resetting a redis service: its data goes (FLUSHALL); a scenario's steps fill it again if they need. */
import { ConflictError } from "../provisioner/errors.ts";
import { redisCommand } from "../provisioner/redis/redis-command.ts";

export async function flushRedis(service: string, url: string, signal: AbortSignal): Promise<void> {
  try {
    await redisCommand(url, ["FLUSHALL"], { signal, timeoutMs: 30_000 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConflictError(`cannot empty redis service ${service}: ${reason}`, { cause: error });
  }
}
