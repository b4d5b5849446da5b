/**
 * Where browser_navigate goes: an app of the environment and a path on its preview URL, or a
 * URL. A path resolves the way screenshots resolve theirs (it must stay on the preview host).
 */
import type { EnvironmentView } from "../../environments/environment-schema.ts";
import { ValidationError } from "../../errors.ts";
import { resolvePageUrl } from "../../../devtools-bridge/screenshots/screenshot-request.ts";

export interface PageTarget {
  app?: string | undefined;
  path?: string | undefined;
  url?: string | undefined;
}

export function pageUrlFor(environment: EnvironmentView, target: PageTarget): string {
  const previewUrls = Object.fromEntries(
    Object.entries(environment.apps).map(([name, app]) => [name, app.url]),
  );
  if (target.url !== undefined && target.path !== undefined) {
    throw new ValidationError("give url, or app and path, not both", {
      errors: [{ path: "path", message: "expected either url or path, not both" }],
    });
  }
  // The environment's browser may go anywhere a client over CDP could take it (an OAuth
  // provider, a page of another environment), so a URL is not held to the preview hosts.
  if (target.url !== undefined && !target.url.startsWith("/")) return absoluteUrl(target.url);
  return resolvePageUrl(
    {
      ...(target.app !== undefined && { app: target.app }),
      ...((target.url ?? target.path) !== undefined && { path: target.url ?? target.path }),
    },
    previewUrls,
  );
}

function absoluteUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ValidationError(`url ${JSON.stringify(value)} is not a URL`, {
      errors: [{ path: "url", message: 'expected an absolute http(s) URL, or a path starting with "/"' }],
    });
  }
  if (!["http:", "https:", "about:"].includes(url.protocol)) {
    throw new ValidationError(`url ${JSON.stringify(value)} is not a web page`, {
      errors: [{ path: "url", message: `expected http: or https: (got ${url.protocol})` }],
    });
  }
  return url.toString();
}
