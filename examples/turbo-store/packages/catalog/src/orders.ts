import type { Book, OrderRequest } from "./model.js";

export const maxQuantity = 10;

/** An order body from a client, or what is wrong with it. */
export function parseOrderRequest(body: unknown): OrderRequest | { error: string } {
  if (typeof body !== "object" || body === null) return { error: "expected a JSON object" };
  const { bookId, quantity = 1 } = body as Record<string, unknown>;
  if (!Number.isInteger(bookId) || (bookId as number) < 1) return { error: "bookId: expected a book id" };
  if (!Number.isInteger(quantity) || (quantity as number) < 1 || (quantity as number) > maxQuantity) {
    return { error: `quantity: expected a whole number from 1 to ${maxQuantity}` };
  }
  return { bookId: bookId as number, quantity: quantity as number };
}

export function orderTotal(book: Pick<Book, "priceCents">, quantity: number): number {
  return book.priceCents * quantity;
}
