import type { Order } from "@shop/shared";
import { HttpError } from "@shop/shared";
import type pg from "pg";

interface OrderRow {
  id: number;
  customer_id: number;
  customer_name: string;
  product_id: number;
  product_name: string;
  quantity: number;
  total_cents: number;
  created_at: Date;
}

const selectOrders = `
  select o.id, o.customer_id, c.name as customer_name, o.product_id, p.name as product_name,
         o.quantity, o.total_cents, o.created_at
  from orders o join customers c on c.id = o.customer_id join products p on p.id = o.product_id`;

function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    customerId: row.customer_id,
    customerName: row.customer_name,
    productId: row.product_id,
    productName: row.product_name,
    quantity: row.quantity,
    totalCents: row.total_cents,
    createdAt: row.created_at.toISOString(),
  };
}

export async function listOrders(pool: pg.Pool): Promise<Order[]> {
  const { rows } = await pool.query<OrderRow>(`${selectOrders} order by o.id desc`);
  return rows.map(toOrder);
}

export interface NewOrder {
  customerId: number;
  productId: number;
  quantity: number;
}

/** Places an order, charging the customer's card: an expired or missing card is a 402. */
export async function placeOrder(pool: pg.Pool, input: NewOrder): Promise<Order> {
  const customer = await pool.query<{ name: string; card_expires: string | null; expired: boolean }>(
    `select name, to_char(card_expires, 'YYYY-MM-DD') as card_expires, card_expires < current_date as expired
     from customers where id = $1`,
    [input.customerId],
  );
  const buyer = customer.rows[0];
  if (!buyer) throw new HttpError(404, "customer_not_found", `no customer with id ${input.customerId}`);
  if (buyer.card_expires === null) {
    throw new HttpError(402, "no_card", `Payment declined: ${buyer.name} has no card on file.`);
  }
  if (buyer.expired) {
    throw new HttpError(
      402,
      "card_expired",
      `Payment declined: ${buyer.name}'s card expired on ${buyer.card_expires}.`,
    );
  }
  const product = await pool.query<{ price_cents: number }>(
    "select price_cents from products where id = $1",
    [input.productId],
  );
  const price = product.rows[0]?.price_cents;
  if (price === undefined)
    throw new HttpError(404, "product_not_found", `no product with id ${input.productId}`);

  const inserted = await pool.query<{ id: number }>(
    "insert into orders (customer_id, product_id, quantity, total_cents) values ($1, $2, $3, $4) returning id",
    [input.customerId, input.productId, input.quantity, price * input.quantity],
  );
  const { rows } = await pool.query<OrderRow>(`${selectOrders} where o.id = $1`, [inserted.rows[0]?.id]);
  return toOrder(rows[0] as OrderRow);
}
