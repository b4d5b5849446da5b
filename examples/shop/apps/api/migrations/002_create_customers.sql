create table customers (
  id serial primary key,
  name text not null,
  email text unique,
  -- last valid day of the card on file; null when there is no card
  card_expires date,
  created_at timestamptz not null default now()
);
