import type { Customer } from "@shop/shared";
import { HttpError } from "@shop/shared";
import type pg from "pg";

const columns = "id, name, email, to_char(card_expires, 'YYYY-MM-DD') as card_expires, created_at";

interface CustomerRow {
  id: number;
  name: string;
  email: string | null;
  card_expires: string | null;
  created_at: Date;
}

function toCustomer(row: CustomerRow): Customer {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    cardExpires: row.card_expires,
    createdAt: row.created_at.toISOString(),
  };
}

export interface NewCustomer {
  name: string;
  email: string | null;
  cardExpires: string | null;
}

export async function createCustomer(pool: pg.Pool, input: NewCustomer): Promise<Customer> {
  try {
    const { rows } = await pool.query<CustomerRow>(
      `insert into customers (name, email, card_expires) values ($1, $2, $3) returning ${columns}`,
      [input.name, input.email, input.cardExpires],
    );
    return toCustomer(rows[0] as CustomerRow);
  } catch (error) {
    if ((error as { code?: string }).code === "23505") {
      throw new HttpError(409, "email_taken", `a customer with email ${input.email} already exists`);
    }
    throw error;
  }
}

export async function listCustomers(pool: pg.Pool): Promise<Customer[]> {
  const { rows } = await pool.query<CustomerRow>(`select ${columns} from customers order by id`);
  return rows.map(toCustomer);
}
