export { formatMoney } from "./money.ts";
export type { ApiError, Customer, Order, Page, Product } from "./model.ts";
export { escapeHtml, html, SafeHtml } from "./html.ts";
export { errorPage, layout, type ErrorPageOptions, type LayoutOptions } from "./layout.ts";
export { createApiClient, type ApiClient } from "./api-client.ts";
export {
  createFlagReader,
  flagDefaults,
  type FlagKey,
  type FlagReader,
  type FlagReaderOptions,
  type ShopFlags,
} from "./flags.ts";
export { HttpError, readBody, readForm, readJson, redirect, sendHtml, sendJson } from "./http.ts";
export { serve, type Handler, type ServeOptions } from "./serve.ts";
