/**
 * A matched route's full pattern, e.g. `/v1/environments/:id/devtools/json/version`: the mount
 * patterns of the routers that lead to it, then its own. `req.baseUrl` holds the concrete path
 * (`/v1/environments/x123/devtools`), which would make every environment id a label of its own.
 */

/** What express's router exposes of its layers (router 2.x: `rawPath`, `route`, `handle.stack`). */
export interface LayerStack {
  stack: readonly unknown[];
}
interface Layer {
  rawPath?: unknown;
  route?: { path?: unknown };
  handle?: { stack?: readonly unknown[] };
}

const cache = new WeakMap<object, string | undefined>();

export function routeTemplate(root: LayerStack, route: object): string | undefined {
  if (!cache.has(route)) cache.set(route, search(root.stack, route, ""));
  return cache.get(route);
}

function search(stack: readonly unknown[], route: object, prefix: string): string | undefined {
  for (const layer of stack as readonly Layer[]) {
    if (layer.route === route) return `${prefix}${pattern(layer.route.path)}`;
    const inner = layer.route ? undefined : layer.handle?.stack;
    if (!inner) continue;
    const mount = layer.rawPath === "/" ? "" : pattern(layer.rawPath);
    const found = search(inner, route, `${prefix}${mount}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** `["/json", "/json/list"]` → `(/json|/json/list)`. */
function pattern(path: unknown): string {
  if (Array.isArray(path)) return `(${path.map(pattern).join("|")})`;
  return typeof path === "string" ? path : String(path);
}
