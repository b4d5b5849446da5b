/**
 * Fixture repos carry the packages their apps import, committed under their own `node_modules`,
 * as a repo whose install already ran would. Importing them from previewd's checkout instead
 * would only work where that checkout is readable by the user previewd runs apps as, which a
 * clone inside a 0700 folder is not.
 */
import { cpSync, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const nodeModules = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../node_modules");

/**
 * Copies `packages` and everything they depend on (from a hoisted node_modules, previewd's by
 * default) into `dir/node_modules`.
 */
export function vendorModules(dir: string, packages: string[], from = nodeModules): void {
  const seen = new Set<string>();
  const queue = [...packages];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const source = path.join(from, name);
    const manifest = JSON.parse(readFileSync(path.join(source, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    cpSync(source, path.join(dir, "node_modules", name), { recursive: true });
    queue.push(...Object.keys(manifest.dependencies ?? {}));
    // Peers the SDKs expect beside them; optional ones that are not installed stay out.
    queue.push(
      ...Object.keys(manifest.peerDependencies ?? {}).filter((peer) => existsSync(path.join(from, peer))),
    );
  }
}
