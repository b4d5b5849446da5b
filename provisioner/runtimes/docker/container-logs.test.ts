import { describe, expect, it } from "vitest";
import { sinceAfter } from "./container-logs.ts";

describe("sinceAfter", () => {
  it("gives Docker's `since` one nanosecond after a line's timestamp", () => {
    expect(sinceAfter("2024-05-01T10:00:00.123456789Z")).toBe("1714557600.123456790");
    expect(sinceAfter("2024-05-01T10:00:00Z")).toBe("1714557600.000000001");
    expect(sinceAfter("2024-05-01T10:00:00.999999999Z")).toBe("1714557601.000000000");
    expect(sinceAfter("not a time")).toBeUndefined();
  });
});
