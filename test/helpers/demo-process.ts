/**
 * `npm run demo` as a user runs it in a terminal: its own process group (a foreground job), so
 * Ctrl-C (SIGINT) reaches npm and node. Resolves once it prints "Press Ctrl-C", with the URLs it
 * printed; a demo that exits first rejects with what it said.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { exited } from "./serve-process.ts";

export interface RunningDemo {
  urls: Record<string, string>;
  stderr(): string;
  /** Ctrl-C, then waits for the demo to exit; a demo already gone is fine. */
  stop(): Promise<void>;
}

export async function startDemo(cwd: string, env: NodeJS.ProcessEnv): Promise<RunningDemo> {
  const demo = spawn("npm", ["run", "demo"], { cwd, detached: true, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  demo.stdout.on("data", (chunk) => (stdout += chunk));
  demo.stderr.on("data", (chunk) => (stderr += chunk));
  const stop = () => interrupt(demo);
  try {
    await new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        if (stdout.includes("Press Ctrl-C")) resolve();
        else if (demo.exitCode !== null) reject(new Error(`demo exited early:\n${stdout}\n${stderr}`));
        else return;
        clearInterval(check);
      }, 200);
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const urls = Object.fromEntries(
    [...stdout.matchAll(/^\s+(\w+)\s+(http:\/\/\S+)/gm)].map((m) => [m[1]!, m[2]!] as const),
  );
  return { urls, stderr: () => stderr, stop };
}

async function interrupt(demo: ChildProcess): Promise<void> {
  try {
    process.kill(-demo.pid!, "SIGINT");
  } catch {
    // ESRCH: it already exited.
  }
  await exited(demo);
}
