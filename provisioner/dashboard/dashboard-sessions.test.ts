import { describe, expect, it } from "vitest";
import { DashboardSessions } from "./dashboard-sessions.ts";

describe("dashboard sessions", () => {
  it("are random ids valid until they expire or are closed", () => {
    let now = 1_000;
    const sessions = new DashboardSessions({ ttlMs: 100, now: () => now });
    const a = sessions.open();
    const b = sessions.open();
    expect(a.id).not.toBe(b.id);
    expect(a.expiresAt.getTime()).toBe(1_100);
    expect(sessions.valid(a.id)).toBe(true);
    expect(sessions.valid(undefined)).toBe(false);
    expect(sessions.valid(`${a.id}x`)).toBe(false);
    sessions.close(b.id);
    expect(sessions.valid(b.id)).toBe(false);
    now = 1_100;
    expect(sessions.valid(a.id)).toBe(false);
  });

  it("keep at most `max`, forgetting the oldest first", () => {
    const sessions = new DashboardSessions({ max: 2 });
    const [a, b, c] = [sessions.open(), sessions.open(), sessions.open()];
    expect([a, b, c].map((s) => sessions.valid(s.id))).toEqual([false, true, true]);
  });
});
