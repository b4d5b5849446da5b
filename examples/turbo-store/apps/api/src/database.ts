/**
 * Postgres through `pg`'s pool, configured by the standard PG* variables (PGHOST, PGPORT, PGUSER,
 * PGPASSWORD, PGDATABASE), which preview.yaml fills from the parts of the db service's URL.
 */
import pg from "pg";
import type { Book, Order } from "@turbo-store/catalog";

export const pool = new pg.Pool({ max: 5 });
// An idle client whose connection the server ends (a restart, or previewd resetting the database
// for a scenario) is dropped from the pool; without a listener that error would end the process.
pool.on("error", (error) => console.error(`postgres: idle client: ${error.message}`));

interface BookRow {
  id: number;
  title: string;
  author: string;
  price_cents: number;
  stock: number;
}

interface OrderRow {
  id: number;
  book_id: number;
  quantity: number;
  total_cents: number;
  charge_id: string;
  created_at: Date;
}

const toBook = (row: BookRow): Book => ({
  id: row.id,
  title: row.title,
  author: row.author,
  priceCents: row.price_cents,
  stock: row.stock,
});

const toOrder = (row: OrderRow): Order => ({
  id: row.id,
  bookId: row.book_id,
  quantity: row.quantity,
  totalCents: row.total_cents,
  chargeId: row.charge_id,
  createdAt: row.created_at.toISOString(),
});

export async function listBooks(): Promise<Book[]> {
  const { rows } = await pool.query<BookRow>("SELECT * FROM books ORDER BY id");
  return rows.map(toBook);
}

export async function findBook(id: number): Promise<Book | undefined> {
  const { rows } = await pool.query<BookRow>("SELECT * FROM books WHERE id = $1", [id]);
  return rows[0] && toBook(rows[0]);
}

export async function listOrders(): Promise<Order[]> {
  const { rows } = await pool.query<OrderRow>("SELECT * FROM orders ORDER BY id");
  return rows.map(toOrder);
}

/** Records a paid order and takes the books out of stock, or returns undefined when too few are left. */
export async function placeOrder(
  book: Book,
  quantity: number,
  totalCents: number,
  chargeId: string,
): Promise<Order | undefined> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const taken = await client.query(
      "UPDATE books SET stock = stock - $2 WHERE id = $1 AND stock >= $2 RETURNING id",
      [book.id, quantity],
    );
    if (taken.rowCount === 0) {
      await client.query("ROLLBACK");
      return undefined;
    }
    const { rows } = await client.query<OrderRow>(
      "INSERT INTO orders (book_id, quantity, total_cents, charge_id) VALUES ($1, $2, $3, $4) RETURNING *",
      [book.id, quantity, totalCents, chargeId],
    );
    await client.query("COMMIT");
    return toOrder(rows[0]!);
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export async function databaseVersion(): Promise<string> {
  const { rows } = await pool.query<{ server_version: string }>("SHOW server_version");
  return rows[0]?.server_version ?? "unknown";
}
