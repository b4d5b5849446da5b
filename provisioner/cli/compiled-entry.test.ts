/**
 * The `previewd` bin runs JavaScript compiled ahead of time, and commands that only talk to a
 * server load neither a TypeScript compiler nor the service's dependencies. Timings are in
 * bench/cli-startup.ts; this checks what is loaded, which is what makes them hold.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const bin = path.join(
  repoRoot,
  JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")).bin.previewd,
);
const { version } = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
  version: string;
};

// Module hooks that print every URL the process resolves, one `loaded <url>` line each on stderr.
const hooks = `export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  process.stderr.write("loaded " + resolved.url + "\\n");
  return resolved;
}`;
const traceImports = `import { register } from "node:module";
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  loaded: string[];
}

function runTraced(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", `data:text/javascript,${encodeURIComponent(traceImports)}`, bin, ...args],
      { env: { ...process.env, PREVIEWD_TOKEN: "", PREVIEWD_URL: "" }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const lines = stderr.split("\n");
        resolve({
          code: error ? Number(error.code ?? 1) : 0,
          stdout,
          stderr: lines.filter((line) => !line.startsWith("loaded ")).join("\n"),
          loaded: lines
            .filter((line) => line.startsWith("loaded "))
            .map((line) => line.slice("loaded ".length)),
        });
      },
    );
  });
}

/** A port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Packages a client command has no use for; loading any of them is what made start-up slow. */
const heavy = [
  "tsx",
  "typescript",
  "esbuild",
  "express",
  "playwright-core",
  "dockerode",
  "@pulumi",
  "pino",
  "zod",
];

function heavyModules(loaded: string[]): string[] {
  return loaded.filter(
    (url) => url.endsWith(".ts") || heavy.some((name) => url.includes(`/node_modules/${name}/`)),
  );
}

describe("the previewd bin", () => {
  it("prints package.json's version for --version", async () => {
    const run = await runTraced(["--version"]);
    expect(run).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it("runs compiled JavaScript from dist/ for --help, loading no TypeScript and no service dependency", async () => {
    const run = await runTraced(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Usage: previewd");
    expect(run.loaded).toContain(`file://${repoRoot}/dist/provisioner/cli/main.js`);
    expect(heavyModules(run.loaded)).toEqual([]);
  });

  it("loads none of them for ls either, even when the server is unreachable", async () => {
    const run = await runTraced(["ls", "--server", `http://127.0.0.1:${await closedPort()}`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error:");
    expect(heavyModules(run.loaded)).toEqual([]);
  });

  it("has no tsx in its compiled entry", () => {
    const entry = readFileSync(path.join(repoRoot, "dist/provisioner/cli/main.js"), "utf8");
    expect(entry).not.toMatch(/tsx/);
  });
});
