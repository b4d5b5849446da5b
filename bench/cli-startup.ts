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

interface Sample {
  /** From spawn to exit, or to the answer to MCP `initialize` for `mcp`. */
  wallMs: number;
  /** User + system CPU of the command and its children: what it costs of its own, whatever the load. */
  cpuMs: number;
}

const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "0" } },
};

/**
 * Runs `command args` under `sh`, whose `times` (on fd 3) reports the CPU its children used. With
 * `mcp`, sends `initialize` at once and closes stdin on the answer, so the server exits.
 */
function measure(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; mcp?: boolean } = {},
) {
  return new Promise<Sample>((resolve, reject) => {
    const started = performance.now();
    const child = spawn("sh", ["-c", '"$@"; times >&3', "sh", command, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...options.env },
      stdio: [options.mcp ? "pipe" : "ignore", options.mcp ? "pipe" : "ignore", "ignore", "pipe"],
    });
    child.once("error", reject);
    let wallMs: number | undefined;
    let stdout = "";
    let times = "";
    child.stdio[3]!.on("data", (chunk: Buffer) => (times += chunk));
    if (options.mcp) {
      child.stdout!.on("data", (chunk: Buffer) => {
        stdout += chunk;
        if (wallMs !== undefined || !stdout.includes('"id":1')) return;
        wallMs = performance.now() - started;
        child.stdin!.end();
      });
      child.stdin!.write(`${JSON.stringify(initialize)}\n`);
    }
    child.once("close", () => {
      if (!options.mcp) wallMs = performance.now() - started;
      // `times` prints the shell's user and system time, then its children's: "0m0.123000s 0m0.045000s".
      const children = times.trim().split("\n").at(-1) ?? "";
      const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map(
        ([, m, s]) => Number(m) * 60 + Number(s),
      );
      if (wallMs === undefined || seconds.length !== 2)
        return reject(new Error(`${command} ${args.join(" ")}: no answer or no times (${times.trim()})`));
      resolve({ wallMs, cpuMs: (seconds[0]! + seconds[1]!) * 1000 });
    });
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

const cases: Array<{ name: string; rounds: number; run: () => Promise<Sample> }> = [
  { name: "node -e 0 (baseline)", rounds, run: () => measure(node, ["-e", "0"]) },
  { name: "previewd --version", rounds, run: () => measure(node, [cli, "--version"]) },
  { name: "previewd --help", rounds, run: () => measure(node, [cli, "--help"]) },
  { name: "previewd ls (running serve)", rounds, run: () => measure(node, [cli, "ls", "--server", server]) },
  {
    name: "previewd ls (connection refused)",
    rounds,
    run: () => measure(node, [cli, "ls", "--server", `http://127.0.0.1:${refusedPort}`]),
  },
  {
    name: "previewd serve --host 0.0.0.0, no token (refused)",
    rounds,
    run: () => measure(node, [cli, "serve", "--host", "0.0.0.0"], { env: { PREVIEWD_TOKEN: "" } }),
  },
  {
    name: "previewd mcp: initialize answered",
    rounds,
    run: () => measure(node, [cli, "mcp", "--server", server], { mcp: true }),
  },
  {
    name: "before: previewd --help from source through tsx",
    rounds,
    run: () => measure(node, ["--import", "tsx", path.join(repoRoot, "provisioner/cli/main.ts"), "--help"]),
  },
  {
    name: "npx previewd mcp: initialize answered",
    rounds: npxRounds,
    run: () => measure("npx", ["previewd", "mcp", "--server", server], { mcp: true }),
  },
];

const loadBefore = os.loadavg();
const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
try {
  for (let round = 0; round < rounds; round++)
    for (const c of cases) if (round < c.rounds) samples.get(c.name)!.push(await c.run());
} finally {
  await crash(serve);
  await rm(dataDir, { recursive: true, force: true });
}
const loadAfter = os.loadavg();

const medianOf = (name: string, key: keyof Sample) => median(samples.get(name)!.map((sample) => sample[key]));
const baseline = cases[0]!.name;
console.log("| command | runs | wall ms (median) | × node -e 0 | CPU ms (median) | × node -e 0 |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const { name } of cases) {
  const [wall, cpu] = [medianOf(name, "wallMs"), medianOf(name, "cpuMs")];
  const ratio = (value: number, key: keyof Sample) => (value / medianOf(baseline, key)).toFixed(1);
  console.log(
    `| ${name} | ${samples.get(name)!.length} | ${wall.toFixed(0)} | ${ratio(wall, "wallMs")} | ` +
      `${cpu.toFixed(0)} | ${ratio(cpu, "cpuMs")} |`,
  );
}
console.log(
  `\n${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} cores, ` +
    `load average ${loadBefore[0]!.toFixed(1)} before, ${loadAfter[0]!.toFixed(1)} after (1 min)`,
);
