import Database

/// The bank's SQL: one method per operation, each one transaction through the pool's retry
/// wrapper (writes read-write, reads read-only), all of its statements in one hop to a
/// connection thread. A transaction of a single statement goes to the server as BEGIN, the
/// statement and COMMIT in one round trip (`ConnectionPool.transaction(_:statement:_:rows:)`).
/// Results come back with the number of attempts, for the request log.
///
/// Missing rows are `nil`/`false`; an order naming a missing customer or product throws
/// `APIError.notFound` from inside the transaction, so nothing is written.
struct BankService: Sendable {
    let pool: ConnectionPool
    let retry: RetryPolicy
    /// Same-row writes (update, delete) queue here, one at a time per row, instead of conflicting
    /// in the database (see `KeyedSerializer`).
    let customerWrites = KeyedSerializer<Int64>()
    let productWrites = KeyedSerializer<Int64>()

    init(pool: ConnectionPool, retry: RetryPolicy) {
        self.pool = pool
        self.retry = retry
    }

    /// Rows per keyset batch of a streamed list (each batch its own short transaction).
    static let batchSize = 500

    private var readOnly: TransactionOptions { TransactionOptions(retry: retry, readOnly: true) }
    private var readWrite: TransactionOptions { TransactionOptions(retry: retry, readOnly: false) }

    // MARK: Customers

    func customers(after: Int64, limit: Int) async throws -> Committed<[CustomerRecord]> {
        try await pool.transaction(readOnly, statement: "SELECT id, name FROM myproject_customers WHERE id > $1 ORDER BY id LIMIT $2",
                                   [after, limit]) { try $0.map(CustomerRecord.init(row:)) }
    }

    func customer(id: Int64) async throws -> Committed<CustomerRecord?> {
        try await pool.transaction(readOnly, statement: "SELECT id, name FROM myproject_customers WHERE id = $1", [id]) {
            try $0.first.map(CustomerRecord.init(row:))
        }
    }

    func createCustomer(_ input: CustomerInput) async throws -> Committed<CustomerRecord> {
        try await pool.transaction(readWrite, statement: "INSERT INTO myproject_customers (name) VALUES ($1) RETURNING id, name",
                                   [input.name]) { try CustomerRecord(row: $0[0]) }
    }

    func updateCustomer(id: Int64, _ input: CustomerInput) async throws -> Committed<CustomerRecord?> {
        try await customerWrites.run(id) {
            try await pool.transaction(readWrite, statement: "UPDATE myproject_customers SET name = $1 WHERE id = $2 RETURNING id, name",
                                       [input.name, id]) { try $0.first.map(CustomerRecord.init(row:)) }
        }
    }

    /// Deletes the customer; its orders (and their product links) go with it (ON DELETE CASCADE).
    func deleteCustomer(id: Int64) async throws -> Committed<Bool> {
        try await customerWrites.run(id) {
            try await pool.transaction(readWrite, statement: "DELETE FROM myproject_customers WHERE id = $1", [id]) { $0.rowsAffected > 0 }
        }
    }

    // MARK: Products

    func products(after: Int64, limit: Int) async throws -> Committed<[ProductRecord]> {
        try await pool.transaction(readOnly, statement: "SELECT id, name, price FROM myproject_products WHERE id > $1 ORDER BY id LIMIT $2",
                                   [after, limit]) { try $0.map(ProductRecord.init(row:)) }
    }

    func product(id: Int64) async throws -> Committed<ProductRecord?> {
        try await pool.transaction(readOnly, statement: "SELECT id, name, price FROM myproject_products WHERE id = $1", [id]) {
            try $0.first.map(ProductRecord.init(row:))
        }
    }

    func createProduct(_ input: ProductInput) async throws -> Committed<ProductRecord> {
        try await pool.transaction(readWrite, statement: "INSERT INTO myproject_products (name, price) VALUES ($1, $2) RETURNING id, name, price",
                                   [input.name, input.price]) { try ProductRecord(row: $0[0]) }
    }

    /// Changes the fields given; a field left nil keeps its value.
    func updateProduct(id: Int64, _ changes: ProductChanges) async throws -> Committed<ProductRecord?> {
        try await productWrites.run(id) {
            try await pool.transaction(readWrite, statement: """
                UPDATE myproject_products
                SET name = COALESCE($1::VARCHAR, name), price = COALESCE($2::DECIMAL(18,2), price)
                WHERE id = $3 RETURNING id, name, price
                """, [changes.name, changes.price, id]) { try $0.first.map(ProductRecord.init(row:)) }
        }
    }

    func deleteProduct(id: Int64) async throws -> Committed<Bool> {
        try await productWrites.run(id) {
            try await pool.transaction(readWrite, statement: "DELETE FROM myproject_products WHERE id = $1", [id]) { $0.rowsAffected > 0 }
        }
    }

    // MARK: Orders

    func orders(after: Int64, limit: Int) async throws -> Committed<[OrderRecord]> {
        try await pool.transaction(readOnly) { connection in
            var orders = try connection.execute(
                "SELECT id, subtotal, customer_id FROM myproject_orders WHERE id > $1 ORDER BY id LIMIT $2",
                [after, limit]).map(OrderRecord.init(row:))
            guard let first = orders.first?.id, let last = orders.last?.id else { return orders }
            // The batch's product links in one statement, by the id range the batch covers.
            let links = try connection.execute("""
                SELECT orders_id, products_id FROM myproject_orders_product
                WHERE orders_id >= $1 AND orders_id <= $2 ORDER BY orders_id, products_id
                """, [first, last])
            var index = 0
            for link in links {
                let orderID = try link.decode(Int64.self, at: 0)
                while index < orders.count, orders[index].id < orderID { index += 1 }
                guard index < orders.count, orders[index].id == orderID else { continue }
                orders[index].productIDs.append(try link.decode(Int64.self, at: 1))
            }
            return orders
        }
    }

    func order(id: Int64) async throws -> Committed<OrderRecord?> {
        try await pool.transaction(readOnly) { connection in
            guard let row = try connection.execute(
                "SELECT id, subtotal, customer_id FROM myproject_orders WHERE id = $1", [id]).first
            else { return nil }
            var order = try OrderRecord(row: row)
            order.productIDs = try connection.execute(
                "SELECT products_id FROM myproject_orders_product WHERE orders_id = $1 ORDER BY products_id", [id])
                .map { try $0.decode(Int64.self, at: 0) }
            return order
        }
    }

    /// Inserts the order and its product links. The customer and every product must exist
    /// (checked in the transaction; a foreign-key violation from a concurrent delete is the
    /// same answer), else `APIError.notFound` and nothing is written.
    func createOrder(_ input: OrderInput) async throws -> Committed<OrderRecord> {
        try await pool.transaction(readWrite) { connection in
            guard try !connection.execute("SELECT 1 FROM myproject_customers WHERE id = $1", [input.customerID]).isEmpty else {
                throw APIError.notFound("customer \(input.customerID) not found")
            }
            let productArray = "{" + input.productIDs.map(String.init).joined(separator: ",") + "}"
            if !input.productIDs.isEmpty {
                let found = Set(try connection.execute(
                    "SELECT id FROM myproject_products WHERE id = ANY($1::INT8[])", [productArray])
                    .map { try $0.decode(Int64.self, at: 0) })
                if let missing = input.productIDs.first(where: { !found.contains($0) }) {
                    throw APIError.notFound("product \(missing) not found")
                }
            }
            do {
                let id = try connection.execute(
                    "INSERT INTO myproject_orders (subtotal, customer_id) VALUES ($1, $2) RETURNING id",
                    [input.subtotal, input.customerID])[0].decode(Int64.self, at: 0)
                if !input.productIDs.isEmpty {
                    try connection.execute("""
                        INSERT INTO myproject_orders_product (orders_id, products_id)
                        SELECT $1::INT8, p FROM unnest($2::INT8[]) AS t(p)
                        """, [id, productArray])
                }
                return OrderRecord(id: id, subtotal: input.subtotal, customerID: input.customerID, productIDs: input.productIDs)
            } catch let DatabaseError.server(error) where error.isForeignKeyViolation {
                throw APIError.notFound(error.constraint?.contains("customer") == true
                                        ? "customer \(input.customerID) not found" : "a product of the order was not found")
            }
        }
    }

    /// Deletes the order; its product links go with it (ON DELETE CASCADE).
    func deleteOrder(id: Int64) async throws -> Committed<Bool> {
        try await pool.transaction(readWrite, statement: "DELETE FROM myproject_orders WHERE id = $1", [id]) { $0.rowsAffected > 0 }
    }
}
