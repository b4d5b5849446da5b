-- 5,000 products with stable names and prices, so two loads give identical rows.
insert into products (name, description, price_cents)
select
  'Product ' || lpad(n::text, 4, '0'),
  'Catalog item number ' || n || ', generated for pagination.',
  100 + (n * 37) % 9900
from generate_series(1, 5000) as n;
