/**
 * How long each `previewd` command takes of its own, against `node -e 0` in the same run: the CLI
 * runs JavaScript compiled into dist/ (no TypeScript compiled at run time) and loads a command's
 * heavy dependencies only when that command runs. Rounds interleave the commands, so a change of
 * load during the run weighs on all of them alike.
 *
 * Run: npm run bench:cli [-- rounds]   (builds nothing: run `npm run build` first)
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { assertBuildIsFresh } from "../test/helpers/compiled-cli.ts";
import { cli, crash, freePort, repoRoot, spawnServe } from "../test/helpers/serve-process.ts";

const rounds = Number(process.argv[2] ?? 10);
// npx resolves the project's own bin by loading the whole installed tree first: seconds of its own.
const npxRounds = Math.min(rounds, 3);

/** Wall-clock milliseconds from spawn to exit. */
function timeExit(command: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: "ignore" });
    child.once("error", reject);
    child.once("exit", () => resolve(performance.now() - started));
  });
}

/** Wall-clock milliseconds from spawn to the answer to an MCP `initialize` sent on stdin at once. */
function timeMcpInitialize(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: repoRoot, stdio: ["pipe", "pipe", "ignore"] });
    child.once("error", reject);
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
      if (!stdout.includes('"id":1')) return;
      const elapsed = performance.now() - started;
      child.stdin.end();
      child.once("exit", () => resolve(elapsed));
    });
    child.once("exit", (code) => {
      if (!stdout.includes('"id":1')) reject(new Error(`${args.join(" ")} exited ${code} before answering`));
    });
    const initialize = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "bench", version: "0" },
      },
    };
    child.stdin.write(`${JSON.stringify(initialize)}\n`);
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

assertBuildIsFresh();
const node = process.execPath;
const dataDir = mkdtempSync(path.join(os.tmpdir(), "previewd-bench-cli-"));
const port = await freePort();
const refusedPort = await freePort();
const serve = await spawnServe(dataDir, port, { PREVIEWD_LOG_LEVEL: "warn" });
const server = `http://127.0.0.1:${port}`;

const cases: Array<{ name: string; rounds: number; run: () => Promise<number> }> = [
  { name: "node -e 0 (baseline)", rounds, run: () => timeExit(node, ["-e", "0"]) },
  { name: "previewd --version", rounds, run: () => timeExit(node, [cli, "--version"]) },
  { name: "previewd --help", rounds, run: () => timeExit(node, [cli, "--help"]) },
  { name: "previewd ls (running serve)", rounds, run: () => timeExit(node, [cli, "ls", "--server", server]) },
  {
    name: "previewd ls (connection refused)",
    rounds,
    run: () => timeExit(node, [cli, "ls", "--server", `http://127.0.0.1:${refusedPort}`]),
  },
  {
    name: "previewd serve --host 0.0.0.0, no token (refused)",
    rounds,
    run: () => timeExit(node, [cli, "serve", "--host", "0.0.0.0"], { PREVIEWD_TOKEN: "" }),
  },
  {
    name: "previewd mcp: initialize answered",
    rounds,
    run: () => timeMcpInitialize(node, [cli, "mcp", "--server", server]),
  },
  {
    name: "npx previewd mcp: initialize answered",
    rounds: npxRounds,
    run: () => timeMcpInitialize("npx", ["previewd", "mcp", "--server", server]),
  },
];

const loadBefore = os.loadavg();
const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
try {
  for (let round = 0; round < rounds; round++)
    for (const c of cases) if (round < c.rounds) samples.get(c.name)!.push(await c.run());
} finally {
  await crash(serve);
  await rm(dataDir, { recursive: true, force: true });
}
const loadAfter = os.loadavg();

const baseline = median(samples.get(cases[0]!.name)!);
console.log(`| command | runs | median ms | min ms | median / node -e 0 |`);
console.log(`| --- | ---: | ---: | ---: | ---: |`);
for (const c of cases) {
  const values = samples.get(c.name)!;
  const ratio = (median(values) / baseline).toFixed(1);
  console.log(
    `| ${c.name} | ${values.length} | ${median(values).toFixed(0)} | ${Math.min(...values).toFixed(0)} | ${ratio}× |`,
  );
}
console.log(
  `\n${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} cores, ` +
    `load average ${loadBefore[0]!.toFixed(1)} before, ${loadAfter[0]!.toFixed(1)} after (1 min)`,
);
