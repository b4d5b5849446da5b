/**
 * An app's first container started ahead with its process held: while Postgres starts and the apps
 * it depends on become healthy, the container is started (the engine's `docker start`: 1–3 s under
 * load, on the critical path three times over in dependency order), but its first process is a
 * shell that waits for one line on its stdin before it `exec`s the image's own entrypoint and
 * command. Nothing of the app runs until previewd releases it at its turn (its dependencies
 * healthy, as `depends_on` asks), by writing that line through an attach: ~5–50 ms instead of a
 * container start. Its front and record come only then, as for any start.
 *
 * Once released, the shell leaves a marker in the container's own layer, so a restart of the same
 * container (supervision) runs the app at once. Held containers carry the environment's labels: a
 * previewd that dies before the release leaves them waiting, and recovery removes them with the
 * rest (test/docker-crash-recovery.test.ts). An image without `/bin/sh` cannot hold: its app is
 * created ahead only, and started as before.
 */
import type Docker from "dockerode";
import { ignoreGone } from "./docker-engine.ts";
import { publishedPort } from "./run-container.ts";

const marker = "/tmp/.previewd-released";
/** `$0` is the label below; `"$@"` the image's entrypoint and command. */
const holdScript = `if [ -e ${marker} ] || read -r _; then : > ${marker} 2>/dev/null; exec "$@"; fi; exit 70`;

/**
 * The container's options with its process held: the image's entrypoint and command (or the
 * options' own) become the arguments of the waiting shell.
 */
export async function heldOptions(
  docker: Docker,
  options: Docker.ContainerCreateOptions,
): Promise<Docker.ContainerCreateOptions | undefined> {
  if (!options.Image) return undefined;
  const image = await docker.getImage(options.Image).inspect();
  const words = (value: string | string[] | undefined) =>
    value === undefined ? [] : Array.isArray(value) ? value : [value];
  const entrypoint = words(options.Entrypoint ?? image.Config.Entrypoint ?? undefined);
  const cmd = words(options.Cmd ?? image.Config.Cmd ?? undefined);
  const command = [...entrypoint, ...cmd];
  if (command.length === 0) return undefined;
  return {
    ...options,
    Entrypoint: ["/bin/sh", "-c", holdScript, "previewd-held"],
    Cmd: command,
    OpenStdin: true,
    // The app's stdin ends once previewd's attach does, as a container without stdin gets EOF.
    StdinOnce: true,
    AttachStdin: false,
  };
}

/** Starts the held container; resolves with its port on 127.0.0.1, or undefined (removed) if it cannot hold. */
export async function startHeld(
  docker: Docker,
  id: string,
  containerPort: number,
): Promise<number | undefined> {
  const container = docker.getContainer(id);
  try {
    await container.start();
    const hostPort = publishedPort(await container.inspect(), containerPort);
    if (hostPort !== undefined) return hostPort;
  } catch {
    // Below: the app starts without being held.
  }
  await ignoreGone(container.remove({ force: true, v: true }));
  return undefined;
}

/** Whether the held container still waits (runs); one that exited is removed. */
export async function stillHeld(docker: Docker, id: string): Promise<boolean> {
  const container = docker.getContainer(id);
  const running = await container.inspect().then(
    (info) => info.State.Running,
    () => false,
  );
  if (!running) await ignoreGone(container.remove({ force: true, v: true }));
  return running;
}

/** Lets the held process run: one line on its stdin, then the attach ends (and with it the app's stdin). */
export async function releaseHeld(docker: Docker, id: string): Promise<void> {
  const stream = (await docker.getContainer(id).attach({
    stream: true,
    stdin: true,
    stdout: false,
    stderr: false,
    hijack: true,
  })) as NodeJS.ReadWriteStream;
  await new Promise<void>((resolve, reject) => {
    stream.once("error", reject);
    stream.end("\n", () => resolve());
  });
}
