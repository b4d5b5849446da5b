import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { canPrioritize, lowestPriority, prioritizeSession } from "./session-priority.ts";

const run = promisify(execFile);
const nice = (pid: number | "self") =>
  /nice (-?\d+)/.exec(readFileSync(`/proc/${pid}/autogroup`, "utf8"))?.[1];

// A kernel without autogroups has no such file, and a priority changes nothing there.
describe.runIf(existsSync("/proc/self/autogroup"))("prioritizeSession", () => {
  it("gives a session of its own the share asked for, and never touches the session of its parent", async () => {
    const ours = nice("self");
    // As spare-copies.ts starts its copies: `setsid` calls setsid() only after its exec.
    for (let round = 0; round < 5; round++) {
      const leader = run("setsid", ["sleep", "5"]);
      leader.catch(() => undefined); // Killed below.
      await prioritizeSession(leader.child.pid, lowestPriority);
      // Only as root (any other user's writes are refused within 100 ms of the last one).
      expect(nice(leader.child.pid!)).toBe(canPrioritize() ? String(lowestPriority) : "0");
      expect(nice("self")).toBe(ours);
      leader.child.kill();
    }
    // A child in previewd's session is left as it is: its autogroup is previewd's.
    const member = run("sleep", ["5"]);
    member.catch(() => undefined);
    await prioritizeSession(member.child.pid, lowestPriority);
    expect(nice("self")).toBe(ours);
    member.child.kill();
  });
});
