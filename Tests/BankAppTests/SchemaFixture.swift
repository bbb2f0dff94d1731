import Database

/// The migrated schema, until the migrations engine lands (then tests run `Migrator.migrate`).
enum SchemaFixture {
    static let ddl = """
        CREATE TABLE myproject_customers (id BIGSERIAL PRIMARY KEY, name VARCHAR(250) NOT NULL);
        CREATE TABLE myproject_products (id BIGSERIAL PRIMARY KEY, name VARCHAR(250) NOT NULL, price DECIMAL(18,2) NOT NULL);
        CREATE TABLE myproject_orders (id BIGSERIAL PRIMARY KEY, subtotal DECIMAL(18,2) NOT NULL,
            customer_id BIGINT NULL REFERENCES myproject_customers(id) ON DELETE CASCADE);
        CREATE TABLE myproject_orders_product (id BIGSERIAL PRIMARY KEY,
            orders_id BIGINT NOT NULL REFERENCES myproject_orders(id) ON DELETE CASCADE,
            products_id BIGINT NOT NULL REFERENCES myproject_products(id) ON DELETE CASCADE,
            UNIQUE (orders_id, products_id));
        """

    static func create(_ url: String) throws {
        let connection = try Connection(connectionString: url)
        defer { connection.close() }
        try connection.run(ddl)
    }
}
