-- The SQL POST /order/ with 3 distinct products sends (BankService.createOrder).
\set c random(:cfirst, :clast)
\set n :plast - :pfirst + 1
\set a random(0, :n - 1)
\set s1 random(1, (:n - 1) / 2)
\set s2 random(:s1 + 1, :n - 1)
\set p1 :pfirst + :a
\set p2 :pfirst + (:a + :s1) % :n
\set p3 :pfirst + (:a + :s2) % :n
BEGIN;
SELECT 1 FROM myproject_customers WHERE id = :c;
SELECT id FROM myproject_products WHERE id = ANY(ARRAY[:p1, :p2, :p3]::INT8[]);
INSERT INTO myproject_orders (subtotal, customer_id) VALUES (123.40, :c) RETURNING id \gset
INSERT INTO myproject_orders_product (orders_id, products_id) SELECT :id::INT8, p FROM unnest(ARRAY[:p1, :p2, :p3]::INT8[]) AS t(p);
COMMIT;
