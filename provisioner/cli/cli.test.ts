import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ProvisionError, ValidationError } from "../errors.ts";
import { startTestApi, type TestApi, until } from "../api/test-server.test-helper.ts";

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), "previewd.js");

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { env: { ...process.env, PREVIEWD_TOKEN: "", PREVIEWD_URL: "", ...env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A port nothing listens on (fetch refuses "bad" ports such as 1, so take a real one and free it). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

let api: TestApi;
let repo: string;

beforeAll(async () => {
  api = await startTestApi();
  repo = realpathSync(mkdtempSync(path.join(os.tmpdir(), "previewd-cli-")));
  execFileSync("git", ["init", "-q", repo]);
  mkdirSync(path.join(repo, "apps"));
});
afterAll(async () => {
  await api.close();
  rmSync(repo, { recursive: true, force: true });
});
beforeEach(() => {
  api.orchestrator.environments.clear();
  api.orchestrator.requests.length = 0;
  for (const method of ["get", "create"] as const) api.orchestrator.failWith(method, undefined);
});

describe("previewd ls", () => {
  it("prints a table of environments and their app URLs", async () => {
    api.orchestrator.add("env-1", { status: "ready", ref: "feature/x" });
    api.orchestrator.add("env-2", {
      apps: {
        api: { url: "http://api--env-2.localhost:7070", directUrl: null, status: "pending" },
        web: { url: "http://web--env-2.localhost:7070", directUrl: null, status: "pending" },
      },
    });
    const result = await runCli(["ls", "--server", api.url]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+REF\s+APPS$/);
    expect(lines[1]).toMatch(/^env-1\s+ready\s+feature\/x\s+web http:\/\/web--env-1\.localhost:7070$/);
    expect(lines[2]).toMatch(/^env-2\s+provisioning\s+main\s+api http:\/\/api--env-2\.localhost:7070$/);
    expect(lines[3]).toMatch(/^\s+web http:\/\/web--env-2\.localhost:7070$/);
  });

  it("prints JSON with --json, finding the server through PREVIEWD_URL", async () => {
    api.orchestrator.add("env-1");
    const result = await runCli(["ls", "--json"], { PREVIEWD_URL: api.url });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).map((env: { id: string }) => env.id)).toEqual(["env-1"]);
  });

  it("says when previewd is not running", async () => {
    const port = await closedPort();
    const result = await runCli(["ls"], { PREVIEWD_PORT: String(port) });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `error: previewd is not running at http://127.0.0.1:${port} (start it with \`previewd serve\`)`,
    );
  });
});

describe("previewd down", () => {
  it("starts deletion with --no-wait", async () => {
    api.orchestrator.add("env-1", { status: "ready" });
    const result = await runCli(["down", "env-1", "--no-wait", "--server", api.url]);
    expect(result).toMatchObject({ code: 0, stdout: "deleting env-1\n" });
    expect(api.orchestrator.get("env-1").status).toBe("deleting");
  });

  it("waits until the environment is gone", async () => {
    api.orchestrator.add("env-1", { status: "ready" });
    const running = runCli(["down", "env-1", "--server", api.url]);
    await until(() => api.orchestrator.environments.get("env-1")?.status === "deleting", 20_000);
    api.orchestrator.remove("env-1");
    expect(await running).toMatchObject({ code: 0, stdout: "deleted env-1\n" });
  });

  it("prints a problem's detail for an unknown environment", async () => {
    const result = await runCli(["down", "nope", "--server", api.url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: environment nope not found");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("previewd up", () => {
  it("runs the working tree as it is, shows progress and prints the URLs", async () => {
    const running = runCli([
      "up",
      path.join(repo, "apps"),
      "--scenario",
      "demo",
      "--ttl",
      "3600",
      "--server",
      api.url,
    ]);
    await until(() => api.orchestrator.environments.has("shop-main"), 20_000);
    expect(api.orchestrator.requests[0]).toEqual({
      repo,
      worktree: repo,
      dir: "apps",
      scenario: "demo",
      ttl: 3600,
    });
    const t0 = Date.now();
    api.orchestrator.emit("shop-main", {
      ts: new Date(t0).toISOString(),
      step: "build",
      app: "web",
      status: "started",
      message: "npm run build",
    });
    api.orchestrator.emit("shop-main", {
      ts: new Date(t0 + 1200).toISOString(),
      step: "build",
      app: "web",
      status: "succeeded",
      message: "built",
    });
    // Ready only once the CLI streams the events: it stops following when it sees `ready`.
    await until(() => api.orchestrator.listenerCount("shop-main") > 0, 20_000);
    api.orchestrator.setStatus("shop-main", "ready");

    const result = await running;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("web  http://web--shop-main.localhost:7070\n");
    expect(result.stderr).toContain("creating environment shop-main");
    expect(result.stderr).toContain("✓ build web 1.2s");
  });

  it("asks for a ref when --ref is given", async () => {
    api.orchestrator.add("shop-v1", { status: "ready" });
    const result = await runCli(["up", repo, "--ref", "v1", "--server", api.url]);
    expect(api.orchestrator.requests[0]).toEqual({ repo, ref: "v1" });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("using environment shop-v1 (ready)");
  });

  it("prints the failing step, app and log tail, and exits 1", async () => {
    api.orchestrator.add("shop-main", {
      status: "failed",
      error: {
        step: "build",
        app: "web",
        message: "npm run build exited with 1",
        logTail: ["ERR! missing script"],
      },
    });
    const result = await runCli(["up", repo, "--server", api.url]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("✗ shop-main failed at build (web): npm run build exited with 1");
    expect(result.stderr).toContain("  | ERR! missing script");
  });

  it("prints field errors from the server", async () => {
    api.orchestrator.failWith(
      "create",
      new ValidationError("invalid request body", {
        errors: [{ path: "body.runtime", message: "expected docker" }],
      }),
    );
    const result = await runCli(["up", repo, "--server", api.url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("error: invalid request body\n  body.runtime: expected docker\n");
  });

  it("rejects a wrong runtime with the server's field error", async () => {
    const result = await runCli(["up", repo, "--runtime", "vm", "--server", api.url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      '  runtime: Invalid option: expected one of "process"|"docker"|"kubernetes" (got "vm")',
    );
  });

  it("prints a provisioning problem's log tail", async () => {
    api.orchestrator.failWith(
      "create",
      new ProvisionError("install failed", "install", undefined, ["npm ERR! 404"]),
    );
    const result = await runCli(["up", repo, "--server", api.url]);
    expect(result.stderr).toBe("error: install failed\n  | npm ERR! 404\n");
  });

  it("says when the directory is not in a git repository", async () => {
    const result = await runCli(["up", os.tmpdir(), "--server", api.url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .* is not inside a git repository\n$/);
  });
});

describe("previewd serve", () => {
  it("refuses a non-loopback host without a token, with a clean message", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "previewd-serve-"));
    try {
      const result = await runCli(["serve", "--host", "0.0.0.0", "--port", "0", "--data-dir", dataDir]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("error: refusing to listen on 0.0.0.0 without a token");
      expect(result.stderr).toContain("  PREVIEWD_TOKEN: ");
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("prints its URL, serves, and stops on SIGTERM", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "previewd-serve-"));
    const child = spawn(process.execPath, [cli, "serve", "--port", "0", "--data-dir", dataDir], {
      env: { ...process.env, PREVIEWD_TOKEN: "", PREVIEWD_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let stdout = "";
      child.stdout.on("data", (chunk) => (stdout += chunk));
      await until(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(stdout), 30_000);
      const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)![1]!;
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: "ok" });
      const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exit).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
