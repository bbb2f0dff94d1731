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
    /// New orders run at most as many at once as this adaptive limit allows; the others wait in
    /// line (see `ConcurrencyLimit`).
    let orderWrites: ConcurrencyLimit

    init(pool: ConnectionPool, retry: RetryPolicy) {
        self.pool = pool
        self.retry = retry
        orderWrites = ConcurrencyLimit(maximum: pool.configuration.maximum)
    }

    /// Rows per keyset batch of a streamed list (each batch its own short transaction).
    static let batchSize = 500

    private var readOnly: TransactionOptions { TransactionOptions(retry: retry, readOnly: true) }
    private var readWrite: TransactionOptions { TransactionOptions(retry: retry, readOnly: false) }
    /// A read of one statement, sent alone: an implicit transaction (docs/API.md, "Transactions").
    private var oneRead: TransactionOptions { TransactionOptions(retry: retry, readOnly: true, implicit: true) }
    /// A write of one statement, sent alone: an implicit transaction, which CockroachDB retries itself.
    private var oneWrite: TransactionOptions { TransactionOptions(retry: retry, readOnly: false, implicit: true) }

    // MARK: Customers

    func customers(after: Int64, limit: Int) async throws -> Committed<[CustomerRecord]> {
        try await pool.transaction(oneRead, statement: "SELECT id, name FROM myproject_customers WHERE id > $1 ORDER BY id LIMIT $2",
                                   [after, limit]) { try $0.map(CustomerRecord.init(row:)) }
    }

    func customer(id: Int64) async throws -> Committed<CustomerRecord?> {
        try await pool.transaction(oneRead, statement: "SELECT id, name FROM myproject_customers WHERE id = $1", [id]) {
            try $0.first.map(CustomerRecord.init(row:))
        }
    }

    func createCustomer(_ input: CustomerInput) async throws -> Committed<CustomerRecord> {
        try await pool.transaction(oneWrite, statement: "INSERT INTO myproject_customers (name) VALUES ($1) RETURNING id, name",
                                   [input.name]) { try CustomerRecord(row: $0[0]) }
    }

    func updateCustomer(id: Int64, _ input: CustomerInput) async throws -> Committed<CustomerRecord?> {
        try await customerWrites.run(id) {
            try await pool.transaction(oneWrite, statement: "UPDATE myproject_customers SET name = $1 WHERE id = $2 RETURNING id, name",
                                       [input.name, id]) { try $0.first.map(CustomerRecord.init(row:)) }
        }
    }

    /// Deletes the customer; its orders (and their product links) go with it (ON DELETE CASCADE).
    func deleteCustomer(id: Int64) async throws -> Committed<Bool> {
        try await customerWrites.run(id) {
            try await pool.transaction(oneWrite, statement: "DELETE FROM myproject_customers WHERE id = $1", [id]) { $0.rowsAffected > 0 }
        }
    }

    // MARK: Products

    func products(after: Int64, limit: Int) async throws -> Committed<[ProductRecord]> {
        try await pool.transaction(oneRead, statement: "SELECT id, name, price FROM myproject_products WHERE id > $1 ORDER BY id LIMIT $2",
                                   [after, limit]) { try $0.map(ProductRecord.init(row:)) }
    }

    func product(id: Int64) async throws -> Committed<ProductRecord?> {
        try await pool.transaction(oneRead, statement: "SELECT id, name, price FROM myproject_products WHERE id = $1", [id]) {
            try $0.first.map(ProductRecord.init(row:))
        }
    }

    func createProduct(_ input: ProductInput) async throws -> Committed<ProductRecord> {
        try await pool.transaction(oneWrite, statement: "INSERT INTO myproject_products (name, price) VALUES ($1, $2) RETURNING id, name, price",
                                   [input.name, input.price]) { try ProductRecord(row: $0[0]) }
    }

    /// Changes the fields given; a field left nil keeps its value.
    func updateProduct(id: Int64, _ changes: ProductChanges) async throws -> Committed<ProductRecord?> {
        try await productWrites.run(id) {
            try await pool.transaction(oneWrite, statement: """
                UPDATE myproject_products
                SET name = COALESCE($1::VARCHAR, name), price = COALESCE($2::DECIMAL(18,2), price)
                WHERE id = $3 RETURNING id, name, price
                """, [changes.name, changes.price, id]) { try $0.first.map(ProductRecord.init(row:)) }
        }
    }

    func deleteProduct(id: Int64) async throws -> Committed<Bool> {
        try await productWrites.run(id) {
            try await pool.transaction(oneWrite, statement: "DELETE FROM myproject_products WHERE id = $1", [id]) { $0.rowsAffected > 0 }
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

    /// Inserts the order and its product links in one statement: the customer and every product
    /// must exist, else nothing is inserted and `APIError.notFound` says which is missing.
    ///
    /// One statement (BEGIN, it and COMMIT in one round trip) rather than a read, then two inserts:
    /// the transaction holds its locks for one round trip instead of four, so concurrent orders
    /// overlap, and conflict (40001 under SERIALIZABLE: PostgreSQL's predicate locks on the join
    /// table's index pages), far less; on CockroachDB a statement on its own is retried by the
    /// server. The existence checks and the inserts are one atomic decision: a customer or product
    /// deleted meanwhile makes the foreign key fail, the same answer.
    func createOrder(_ input: OrderInput) async throws -> Committed<OrderRecord> {
        let productArray = "{" + input.productIDs.map(String.init).joined(separator: ",") + "}"
        let committed: Committed<(id: Int64?, customerFound: Bool)>
        do {
            committed = try await orderWrites.run {
                try await pool.transaction(oneWrite, statement: Self.insertOrder,
                                           [input.subtotal, input.customerID, productArray, Int64(input.productIDs.count)]) { result in
                    (try result[0].decode(Int64?.self, at: 0), try result[0].decode(Bool.self, at: 1))
                }
            }
        } catch let DatabaseError.server(error) where error.isForeignKeyViolation {
            throw APIError.notFound(error.constraint?.contains("customer") == true
                                    ? "customer \(input.customerID) not found" : "a product of the order was not found")
        }
        guard let id = committed.value.id else {
            guard committed.value.customerFound else { throw APIError.notFound("customer \(input.customerID) not found") }
            // Which product is missing, for the message (nothing was written either way).
            let found = Set(try await pool.transaction(oneRead, statement: "SELECT id FROM myproject_products WHERE id = ANY($1::INT8[])",
                                                       [productArray]) { try $0.map { try $0.decode(Int64.self, at: 0) } }.value)
            let missing = input.productIDs.first { !found.contains($0) }
            throw APIError.notFound(missing.map { "product \($0) not found" } ?? "a product of the order was not found")
        }
        return committed.map { _ in
            OrderRecord(id: id, subtotal: input.subtotal, customerID: input.customerID, productIDs: input.productIDs)
        }
    }

    /// $1 subtotal, $2 customer id, $3 the distinct product ids, $4 how many: the order's id (NULL
    /// when something is missing: then nothing is inserted) and whether the customer exists.
    static let insertOrder = """
        WITH customer AS (SELECT id FROM myproject_customers WHERE id = $2),
             found AS (SELECT count(*) AS n FROM myproject_products WHERE id = ANY($3::INT8[])),
             new_order AS (
                 INSERT INTO myproject_orders (subtotal, customer_id)
                 SELECT $1, customer.id FROM customer, found WHERE found.n = $4::INT8
                 RETURNING id),
             links AS (
                 INSERT INTO myproject_orders_product (orders_id, products_id)
                 SELECT new_order.id, t.p FROM new_order, unnest($3::INT8[]) AS t(p)
                 RETURNING orders_id)
        SELECT (SELECT id FROM new_order), EXISTS (SELECT 1 FROM customer), (SELECT count(*) FROM links)
        """

    /// Deletes the order; its product links go with it (ON DELETE CASCADE).
    func deleteOrder(id: Int64) async throws -> Committed<Bool> {
        try await pool.transaction(oneWrite, statement: "DELETE FROM myproject_orders WHERE id = $1", [id]) { $0.rowsAffected > 0 }
    }
}
