import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { lowerSession, lowestPriority, runAtLowestPriority } from "./session-priority.ts";

const run = promisify(execFile);
const nice = (text: string) => /nice (-?\d+)/.exec(text)?.[1];

// A kernel without autogroups has no such file, and a priority changes nothing there.
describe.runIf(existsSync("/proc/self/autogroup"))("the lowest priority", () => {
  it("gives a command a session of its own at the lowest share, and never touches the session of its parent", async () => {
    const ours = nice(readFileSync("/proc/self/autogroup", "utf8"));
    const root = process.getuid?.() === 0;
    // As spare-copies.ts runs its copies: `setsid` calls setsid() only after its exec.
    for (let round = 0; round < 5; round++) {
      const said = await runAtLowestPriority(["sh", "-c", "sleep 0.2; cat /proc/self/autogroup"]);
      // Only as root (any other user's writes are refused within 100 ms of the last one): without
      // it the command runs in previewd's session, at nice 19 inside it.
      expect(nice(said)).toBe(root ? String(lowestPriority) : ours);
      expect(nice(readFileSync("/proc/self/autogroup", "utf8"))).toBe(ours);
    }
    // A child in previewd's session is left as it is: its autogroup is previewd's.
    const member = run("sleep", ["5"]);
    member.catch(() => undefined);
    await lowerSession(member.child.pid);
    expect(nice(readFileSync("/proc/self/autogroup", "utf8"))).toBe(ours);
    member.child.kill();
  });
});
