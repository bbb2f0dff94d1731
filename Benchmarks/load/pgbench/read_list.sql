-- The SQL GET /customer/ sends for a list shorter than one batch (BankService.customers).
BEGIN READ ONLY;
SELECT id, name FROM myproject_customers WHERE id > 0 ORDER BY id LIMIT 500;
COMMIT;
