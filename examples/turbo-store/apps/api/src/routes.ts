import type { IncomingMessage, ServerResponse } from "node:http";
import { formatPrice, orderTotal, parseOrderRequest } from "@turbo-store/catalog";
import { counters, countOrder, countView, pingCounters } from "./counters.js";
import { databaseVersion, findBook, listBooks, listOrders, placeOrder } from "./database.js";
import { HttpError, readJson, send } from "./http.js";
import { charge, paymentsHealth } from "./payments.js";
import { apiVersion } from "./version.js";

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const routes: Record<string, Route> = {
  "GET /": async (_req, res) => send(res, 200, { name: "turbo-store api", version: apiVersion }),

  "GET /healthz": async (_req, res) => {
    await Promise.all([databaseVersion(), pingCounters()]);
    send(res, 200, { status: "ok" });
  },

  // What this API reaches: Postgres, Redis and the payments twin, each asked now.
  "GET /status": async (_req, res) => {
    const [postgres, redis, payments] = await Promise.all([
      databaseVersion(),
      pingCounters(),
      paymentsHealth(),
    ]);
    send(res, 200, { postgres, redis, payments, commit: process.env.PREVIEW_COMMIT ?? null });
  },

  "GET /books": async (_req, res) => {
    const [books, views] = await Promise.all([listBooks(), countView()]);
    send(res, 200, { items: books.map((book) => ({ ...book, price: formatPrice(book.priceCents) })), views });
  },

  "GET /orders": async (_req, res) => {
    const [orders, counted] = await Promise.all([listOrders(), counters()]);
    send(res, 200, { items: orders, placed: counted.orders });
  },

  "POST /orders": async (req, res) => {
    const request = parseOrderRequest(await readJson(req));
    if ("error" in request) throw new HttpError(400, "invalid_order", request.error);
    const book = await findBook(request.bookId);
    if (!book) throw new HttpError(404, "not_found", `no book ${request.bookId}`);
    if (book.stock < request.quantity) throw new HttpError(409, "sold_out", `only ${book.stock} left`);
    const total = orderTotal(book, request.quantity);
    const paid = await charge(total, `book-${book.id}x${request.quantity}`);
    if ("declined" in paid)
      throw new HttpError(402, paid.declined, `payment of ${formatPrice(total)} declined`);
    const order = await placeOrder(book, request.quantity, total, paid.id);
    if (!order) throw new HttpError(409, "sold_out", `sold out while paying`);
    await countOrder();
    send(res, 201, order);
  },
};

export async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === "OPTIONS") return send(res, 204);
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const route = routes[`${req.method} ${path}`];
  try {
    if (!route) throw new HttpError(404, "not_found", `no route ${req.method} ${path}`);
    await route(req, res);
  } catch (error) {
    if (error instanceof HttpError)
      return send(res, error.status, { error: error.code, message: error.message });
    console.error(error);
    const status = path === "/healthz" ? 503 : 500;
    send(res, status, { error: "internal", message: error instanceof Error ? error.message : String(error) });
  }
}
