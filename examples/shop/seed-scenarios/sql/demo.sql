insert into products (name, description, price_cents) values
  ('Espresso cup', 'A small porcelain cup for a single shot.', 1250),
  ('Pour-over kettle', 'Gooseneck kettle with a built-in thermometer.', 4900),
  ('Burr grinder', 'Hand grinder with 40 settings, from Turkish to French press.', 8900),
  ('House blend, 250 g', 'Chocolate, hazelnut and a little cherry.', 1400),
  ('Single origin, 250 g', 'Washed Ethiopian: jasmine, bergamot, peach.', 1800),
  ('Paper filters (100)', 'Unbleached filters for the pour-over cone.', 600),
  ('Milk jug', 'Stainless steel, 350 ml, for latte art practice.', 2200),
  ('Travel mug', 'Keeps coffee hot for six hours; fits car cup holders.', 2900);

insert into customers (name, email, card_expires) values
  ('Ada Lovelace', 'ada@example.com', '2035-12-31'),
  ('Grace Hopper', 'grace@example.com', '2024-01-31');
