import { HttpError, readJson, sendJson, type FlagReader, type Handler } from "@shop/shared";
import type pg from "pg";
import { createCustomer, listCustomers } from "./customers.ts";
import { cardExpiry, optionalString, positiveInt, requiredString } from "./input.ts";
import { listOrders, placeOrder } from "./orders.ts";
import { getProduct, listProducts } from "./products.ts";

export interface ApiDeps {
  pool: pg.Pool;
  flags: FlagReader;
}

const maxPageSize = 100;

export function createApiHandler({ pool, flags }: ApiDeps): Handler {
  return async (req, res, url) => {
    const route = `${req.method} ${url.pathname}`;

    if (route === "GET /healthz") {
      try {
        await pool.query("select 1");
        return sendJson(res, 200, { status: "ok" });
      } catch (error) {
        return sendJson(res, 503, { status: "unavailable", message: (error as Error).message });
      }
    }

    if (route === "GET /products") {
      const page = positiveInt(url.searchParams.get("page"), "page", 1);
      const asked = url.searchParams.get("pageSize");
      // The flag is the default only: a client asking for a size gets it without a flag lookup.
      const pageSize = positiveInt(asked, "pageSize", asked ? undefined : await flags.get("page-size"));
      return sendJson(res, 200, await listProducts(pool, page, Math.min(pageSize, maxPageSize)));
    }

    const productId = /^\/products\/(\d+)$/.exec(url.pathname)?.[1];
    if (req.method === "GET" && productId) {
      const product = await getProduct(pool, Number(productId));
      if (!product) throw new HttpError(404, "product_not_found", `no product with id ${productId}`);
      return sendJson(res, 200, product);
    }

    if (route === "POST /admin/customers") {
      const body = await readJson(req);
      const customer = await createCustomer(pool, {
        name: requiredString(body.name, "name"),
        email: optionalString(body.email, "email"),
        cardExpires: cardExpiry(body.cardExpires),
      });
      return sendJson(res, 201, customer);
    }

    if (route === "GET /customers") return sendJson(res, 200, { items: await listCustomers(pool) });

    if (route === "GET /orders") return sendJson(res, 200, { items: await listOrders(pool) });

    if (route === "POST /orders") {
      const body = await readJson(req);
      const order = await placeOrder(pool, {
        customerId: positiveInt(body.customerId, "customerId"),
        productId: positiveInt(body.productId, "productId"),
        quantity: positiveInt(body.quantity, "quantity", 1),
      });
      return sendJson(res, 201, order);
    }

    if (route === "GET /flags") return sendJson(res, 200, await flags.all());

    throw new HttpError(404, "not_found", `no route for ${req.method} ${url.pathname}`);
  };
}
