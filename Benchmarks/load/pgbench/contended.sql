-- The SQL PUT /product/<id>/ {"price": ...} sends (BankService.updateProduct), on 5 hot rows.
\set id random(:pfirst, :pfirst + 4)
\set cents random(100, 9999999)
BEGIN;
UPDATE myproject_products SET name = COALESCE(NULL::VARCHAR, name), price = COALESCE((:cents / 100.0)::DECIMAL(18,2), price) WHERE id = :id RETURNING id, name, price;
COMMIT;
