import type { Page, Product } from "@shop/shared";
import type pg from "pg";

const columns = "id, name, description, price_cents";

interface ProductRow {
  id: number;
  name: string;
  description: string;
  price_cents: number;
}

function toProduct(row: ProductRow): Product {
  return { id: row.id, name: row.name, description: row.description, priceCents: row.price_cents };
}

export async function listProducts(pool: pg.Pool, page: number, pageSize: number): Promise<Page<Product>> {
  const [items, count] = await Promise.all([
    pool.query<ProductRow>(`select ${columns} from products order by id limit $1 offset $2`, [
      pageSize,
      (page - 1) * pageSize,
    ]),
    pool.query<{ total: number }>("select count(*)::int as total from products"),
  ]);
  return { items: items.rows.map(toProduct), page, pageSize, total: count.rows[0]?.total ?? 0 };
}

export async function getProduct(pool: pg.Pool, id: number): Promise<Product | undefined> {
  const { rows } = await pool.query<ProductRow>(`select ${columns} from products where id = $1`, [id]);
  return rows[0] && toProduct(rows[0]);
}
