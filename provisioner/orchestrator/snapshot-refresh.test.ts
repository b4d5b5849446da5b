import { describe, expect, it } from "vitest";
import type { DeployedApp } from "../runtimes/runtime.ts";
import type { EnvironmentRecord } from "./environment-record.ts";
import { appsChangedSinceSnapshot, markSnapshotTaken } from "./snapshot-refresh.ts";

const app = (inputHash: string): DeployedApp => ({
  status: "healthy",
  directUrl: "http://127.0.0.1:1",
  inputHash,
  handle: {},
});

function record(hashes: Record<string, string>): EnvironmentRecord {
  const apps = Object.fromEntries(Object.entries(hashes).map(([name, hash]) => [name, app(hash)]));
  return { deployment: { runtime: "process", apps, services: {} } } as unknown as EnvironmentRecord;
}

describe("appsChangedSinceSnapshot", () => {
  it("is every app while nobody knows what the snapshot was taken with", () => {
    expect(appsChangedSinceSnapshot(record({ api: "a", web: "w" }))).toEqual(["api", "web"]);
  });

  it("is none right after the snapshot, then the apps whose inputs changed or that are new", () => {
    const env = record({ api: "a", web: "w" });
    markSnapshotTaken(env);
    expect(appsChangedSinceSnapshot(env)).toEqual([]);
    env.deployment!.apps.api = app("a2");
    env.deployment!.apps.admin = app("x");
    delete env.deployment!.apps.web;
    expect(appsChangedSinceSnapshot(env)).toEqual(["api", "admin"]);
  });
});
