import {
  errorPage,
  html,
  HttpError,
  layout,
  sendHtml,
  sendJson,
  type ApiClient,
  type Customer,
  type Handler,
  type Order,
  type SafeHtml,
} from "@shop/shared";
import type { ServerResponse } from "node:http";
import { dashboardPage } from "./dashboard.ts";

export function adminNav(shopUrl: string | undefined): SafeHtml {
  return html`<a href="/" id="nav-home">shop admin</a>
    ${shopUrl ? html`<a href="${shopUrl}" id="nav-shop">Shop</a>` : null}`;
}

export function createAdminHandler(api: ApiClient, shopUrl: string | undefined): Handler {
  const nav = adminNav(shopUrl);
  return async (req, res, url) => {
    const route = `${req.method} ${url.pathname}`;
    if (route === "GET /healthz") return sendJson(res, 200, { status: "ok" });
    if (route === "GET /") {
      const [customers, orders] = await Promise.all([
        api.get<{ items: Customer[] }>("/customers"),
        api.get<{ items: Order[] }>("/orders"),
      ]);
      const today = new Date().toISOString().slice(0, 10);
      const body = dashboardPage(customers.items, orders.items, today);
      return sendHtml(res, 200, layout({ app: "admin", title: "Admin", body, nav }));
    }
    throw new HttpError(404, "not_found", `There is no page at ${url.pathname}.`);
  };
}

export function adminErrorHandler(shopUrl: string | undefined) {
  const nav = adminNav(shopUrl);
  return (error: unknown, res: ServerResponse) => {
    const status = error instanceof HttpError ? error.status : 500;
    // An HttpError (the API being down, say) is expected: its message is enough; anything else is a bug.
    if (!(error instanceof HttpError)) console.error(`admin: ${(error as Error).stack ?? String(error)}`);
    else if (status >= 500) console.error(`admin: ${error.message}`);
    sendHtml(res, status, errorPage({ app: "admin", status, message: (error as Error).message, nav }));
  };
}
