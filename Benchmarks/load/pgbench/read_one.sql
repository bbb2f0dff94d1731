-- The SQL GET /customer/<id>/ sends (BankService.customer: a read-only transaction).
\set id random(:cfirst, :clast)
BEGIN READ ONLY;
SELECT id, name FROM myproject_customers WHERE id = :id;
COMMIT;
