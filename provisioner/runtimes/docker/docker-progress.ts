/** Reading the JSON-lines progress streams of pull, import and build to their end. */
import type Docker from "dockerode";
import { ProvisionError } from "../../errors.ts";

export interface ProgressEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/** Resolves with every event once the stream ends; rejects with the engine's own error message. */
export function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onEvent?: (event: ProgressEvent) => void,
): Promise<ProgressEvent[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, output: ProgressEvent[]) => {
        if (error) return reject(error);
        const failed = output.find((e) => e.error || e.errorDetail);
        if (failed) {
          return reject(
            new ProvisionError(failed.errorDetail?.message ?? failed.error ?? "failed", "docker"),
          );
        }
        resolve(output);
      },
      onEvent,
    );
  });
}
