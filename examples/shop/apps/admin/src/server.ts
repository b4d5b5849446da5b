import { createApiClient, serve } from "@shop/shared";
import { adminErrorHandler, createAdminHandler } from "./routes.ts";

const api = createApiClient(process.env.API_URL ?? "http://127.0.0.1:3000");
// previewd gives every app each app's public URL, so the admin can link back to the storefront.
const shopUrl = process.env.PREVIEW_URL_WEB || undefined;

await serve({
  name: "admin",
  defaultPort: 3002,
  handler: createAdminHandler(api, shopUrl),
  onError: adminErrorHandler(shopUrl),
});
