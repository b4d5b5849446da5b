/** How an app's image reaches the cluster: built for the commit and pushed where the cluster pulls. */
import type { RuntimeEnvironment } from "../runtime.ts";

export interface PublishOptions {
  /** The app's build environment (build-values.ts), part of its image's content hash. */
  variables?: Record<string, string>;
  signal: AbortSignal;
  /** Each line of build or push output. */
  onLine(line: string): void;
}

export interface PublishedImage {
  /** What the cluster pulls: `<registry>/<repository>:<content hash>`, or the app's named image. */
  ref: string;
  /** False when an image with the same content was already there (nothing was built). */
  built: boolean;
}

export interface ImagePublisher {
  publish(env: RuntimeEnvironment, app: string, options: PublishOptions): Promise<PublishedImage>;
}
