INSERT INTO books (title, author, price_cents, stock) VALUES
  ('The Left Hand of Darkness', 'Ursula K. Le Guin', 1450, 4),
  ('Dune', 'Frank Herbert', 1250, 10),
  ('Kindred', 'Octavia E. Butler', 1100, 2),
  ('Neuromancer', 'William Gibson', 990, 5),
  ('A Rare First Edition', 'Anonymous', 250000, 1);
