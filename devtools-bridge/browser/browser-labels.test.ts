import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { browserLabels, findBrowsers, killStaleBrowsers } from "./browser-labels.ts";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

function sleeper(labels: Record<string, string>): ChildProcess {
  const child = spawn("sleep", ["60"], {
    detached: true,
    stdio: "ignore",
    env: { ...process.env, ...labels },
  });
  children.push(child);
  return child;
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once("exit", resolve));

describe("killStaleBrowsers", () => {
  it("kills this owner's labelled browsers and nothing else", async () => {
    const owner = `test-${process.pid}`;
    const stale = sleeper(browserLabels(owner, "env-a"));
    const app = sleeper({ PREVIEWD_OWNER: owner, PREVIEWD_ENV_ID: "env-a", PREVIEWD_ROLE: "app" });
    const other = sleeper(browserLabels(`${owner}-other`, "env-a"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await findBrowsers(owner)).map((b) => b.pid)).toEqual([stale.pid]);

    const killed = await killStaleBrowsers(owner);
    expect(killed).toEqual([{ pid: stale.pid, pgid: stale.pid, envId: "env-a" }]);
    await exited(stale);
    expect(stale.signalCode).toBe("SIGKILL");
    expect(app.exitCode).toBeNull();
    expect(other.exitCode).toBeNull();
  });
});
