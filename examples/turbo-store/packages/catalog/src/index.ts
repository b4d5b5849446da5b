export type { Book, Order, OrderRequest } from "./model.js";
export { formatPrice } from "./money.js";
export { orderTotal, parseOrderRequest } from "./orders.js";
