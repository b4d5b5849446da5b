create table products (
  id serial primary key,
  name text not null,
  description text not null default '',
  price_cents integer not null check (price_cents >= 0),
  created_at timestamptz not null default now()
);
