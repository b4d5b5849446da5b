import {
  html,
  errorPage,
  HttpError,
  layout,
  readForm,
  sendHtml,
  sendJson,
  type ApiClient,
  type Customer,
  type FlagReader,
  type Handler,
  type Order,
  type Page,
  type Product,
  type SafeHtml,
} from "@shop/shared";
import type { ServerResponse } from "node:http";
import { webNav } from "./nav.ts";
import { classicCheckout, newCheckout, orderConfirmation, type CheckoutForm } from "./pages/checkout.ts";
import { homePage } from "./pages/home.ts";
import { liveBanner } from "./pages/live-banner.ts";
import { serveFlagModule, type FlagsProxy } from "./flags-proxy.ts";
import { productPage } from "./pages/product.ts";

export interface WebDeps {
  api: ApiClient;
  flags: FlagReader;
  adminUrl?: string;
  /** When previewd runs the app: the page's flags go through it, live. */
  flagsProxy?: FlagsProxy;
}

function optionalId(value: string | null): number | undefined {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export function createWebHandler({ api, flags, adminUrl, flagsProxy }: WebDeps): Handler {
  const nav = webNav(adminUrl);
  const page = (res: ServerResponse, status: number, title: string, body: SafeHtml) =>
    sendHtml(res, status, layout({ app: "web", title, body, nav }));

  async function checkout(
    res: ServerResponse,
    status: number,
    form: Omit<CheckoutForm, "customers" | "products">,
  ) {
    const [customers, products, useNew] = await Promise.all([
      api.get<{ items: Customer[] }>("/customers"),
      api.get<Page<Product>>("/products?pageSize=100"),
      flags.get("new-checkout"),
    ]);
    const full = { ...form, customers: customers.items, products: products.items };
    page(res, status, "Checkout", useNew ? newCheckout(full) : classicCheckout(full));
  }

  return async (req, res, url) => {
    const route = `${req.method} ${url.pathname}`;

    if (route === "GET /healthz") return sendJson(res, 200, { status: "ok" });
    if (flagsProxy?.handles(url)) return flagsProxy.forward(req, res, url);
    if (req.method === "GET" && (await serveFlagModule(res, url))) return;

    if (route === "GET /") {
      const pageNumber = optionalId(url.searchParams.get("page")) ?? 1;
      const [banner, products] = await Promise.all([
        flags.get("banner-text"),
        api.get<Page<Product>>(`/products?page=${pageNumber}`),
      ]);
      const live = flagsProxy ? liveBanner(flagsProxy.basePath) : null;
      return page(res, 200, "Products", html`${homePage(banner, products)}${live}`);
    }

    const productId = /^\/products\/(\d+)$/.exec(url.pathname)?.[1];
    if (req.method === "GET" && productId) {
      const product = await api.get<Product>(`/products/${productId}`);
      return page(res, 200, product.name, productPage(product));
    }

    if (route === "GET /checkout") {
      return checkout(res, 200, { productId: optionalId(url.searchParams.get("productId")) });
    }

    if (route === "POST /checkout") {
      const form = await readForm(req);
      const attempt = {
        customerId: optionalId(form.get("customerId")),
        productId: optionalId(form.get("productId")),
        quantity: optionalId(form.get("quantity")) ?? 1,
      };
      try {
        const order = await api.post<Order>("/orders", attempt);
        return page(res, 201, "Order placed", orderConfirmation(order));
      } catch (error) {
        // A declined card or a bad choice is shown on the form; an API outage is an error page.
        if (!(error instanceof HttpError) || error.status >= 500) throw error;
        return checkout(res, error.status, { ...attempt, error: error.message });
      }
    }

    throw new HttpError(404, "not_found", `There is no page at ${url.pathname}.`);
  };
}

export function webErrorHandler(adminUrl: string | undefined) {
  const nav = webNav(adminUrl);
  return (error: unknown, res: ServerResponse) => {
    const status = error instanceof HttpError ? error.status : 500;
    // An HttpError (the API being down, say) is expected: its message is enough; anything else is a bug.
    if (!(error instanceof HttpError)) console.error(`web: ${(error as Error).stack ?? String(error)}`);
    else if (status >= 500) console.error(`web: ${error.message}`);
    sendHtml(res, status, errorPage({ app: "web", status, message: (error as Error).message, nav }));
  };
}
