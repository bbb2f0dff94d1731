-- The SQL POST /customer/ sends (BankService.createCustomer).
BEGIN;
INSERT INTO myproject_customers (name) VALUES ('pgbench ' || :client_id) RETURNING id, name;
COMMIT;
