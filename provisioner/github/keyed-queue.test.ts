import { describe, expect, it } from "vitest";
import { KeyedQueue } from "./keyed-queue.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("KeyedQueue", () => {
  it("runs one key's jobs in order and different keys concurrently", async () => {
    const log: string[] = [];
    const queue = new KeyedQueue(() => undefined);
    const job = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await sleep(ms);
      log.push(`end ${name}`);
    };
    queue.add("a", job("a1", 30));
    queue.add("a", job("a2", 1));
    queue.add("b", job("b1", 1));
    await queue.idle();
    expect(log.indexOf("end a1")).toBeLessThan(log.indexOf("start a2"));
    expect(log.indexOf("end b1")).toBeLessThan(log.indexOf("end a1"));
  });

  it("reports a failing job and keeps going", async () => {
    const errors: unknown[] = [];
    const queue = new KeyedQueue((_key, error) => errors.push(error));
    let ran = false;
    queue.add("a", () => Promise.reject(new Error("boom")));
    queue.add("a", async () => {
      ran = true;
    });
    await queue.idle();
    expect(ran).toBe(true);
    expect(errors).toHaveLength(1);
  });
});
