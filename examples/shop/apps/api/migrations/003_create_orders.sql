create table orders (
  id serial primary key,
  customer_id integer not null references customers (id),
  product_id integer not null references products (id),
  quantity integer not null check (quantity > 0),
  total_cents integer not null check (total_cents >= 0),
  created_at timestamptz not null default now()
);

create index orders_customer_id_idx on orders (customer_id);
