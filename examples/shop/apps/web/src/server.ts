import { createApiClient, createFlagReader, serve } from "@shop/shared";
import { createWebHandler, webErrorHandler } from "./routes.ts";
import { createFlagsProxy } from "./flags-proxy.ts";

const api = createApiClient(process.env.API_URL ?? "http://127.0.0.1:3000");
const adminUrl = process.env.ADMIN_URL || undefined;
const flags = createFlagReader();
const flagsProxy = createFlagsProxy();

await serve({
  name: "web",
  defaultPort: 3001,
  handler: createWebHandler({ api, flags, adminUrl, ...(flagsProxy && { flagsProxy }) }),
  onError: webErrorHandler(adminUrl),
  onShutdown: () => flags.close(),
});
