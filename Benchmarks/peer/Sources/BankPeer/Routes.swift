import Hummingbird
import Logging
import PostgresNIO

/// The endpoints of the bench scenarios (and POST /product/, which the bench seeds with).
/// A request of one statement runs it as an implicit transaction on the main pool; an order
/// runs BEGIN ... COMMIT on a pool of its own, whose size caps how many order transactions
/// run at once (fewer of them conflict).
struct BankRoutes: Sendable {
    let database: PostgresClient
    let orderDatabase: PostgresClient
    let logger: Logger
    var retrying: Retrying { Retrying(logger: logger) }

    /// Rows per keyset batch of the customer list, as the project's.
    static let batchSize: Int64 = 500

    func add(to router: Router<BasicRequestContext>) {
        router.get("/ping") { _, _ in "hummingbird/postgres-nio" }
        router.get("/customer") { _, _ in try await self.customers() }
        router.get("/customer/:id") { _, context in
            try await self.customer(id: context.parameters.require("id", as: Int64.self))
        }
        router.post("/customer") { request, context in
            try await self.createCustomer(request.decode(as: CustomerInput.self, context: context))
        }
        router.post("/product") { request, context in
            try await self.createProduct(request.decode(as: ProductInput.self, context: context))
        }
        router.put("/product/:id") { request, context in
            try await self.updateProduct(id: context.parameters.require("id", as: Int64.self),
                                         request.decode(as: ProductChanges.self, context: context))
        }
        router.post("/order") { request, context in
            try await self.createOrder(request.decode(as: OrderInput.self, context: context))
        }
    }

    func customers() async throws -> [Customer] {
        try await retrying.run {
            var customers: [Customer] = []
            var after: Int64 = 0
            while true {
                let batch = try await rows(database.execute(ListCustomers(after: after, limit: Self.batchSize), logger: logger))
                customers += batch.map { Customer(id: $0.0, name: $0.1) }
                guard batch.count == Self.batchSize, let last = batch.last else { return customers }
                after = last.0
            }
        }
    }

    func customer(id: Int64) async throws -> Customer {
        let found = try await retrying.run {
            try await rows(database.execute(SelectCustomer(id: id), logger: logger)).first.map { Customer(id: $0.0, name: $0.1) }
        }
        guard let found else { throw HTTPError(.notFound, message: "customer \(id) not found") }
        return found
    }

    func createCustomer(_ input: CustomerInput) async throws -> Customer {
        try Self.validate(name: input.name)
        return try await retrying.run {
            let row = try await rows(database.execute(InsertCustomer(name: input.name), logger: logger))[0]
            return Customer(id: row.0, name: row.1)
        }
    }

    func createProduct(_ input: ProductInput) async throws -> Product {
        try Self.validate(name: input.name)
        return try await retrying.run {
            let row = try await rows(database.execute(InsertProduct(name: input.name, price: input.price.value), logger: logger))[0]
            return Product(id: row.0, name: row.1, price: row.2)
        }
    }

    func updateProduct(id: Int64, _ changes: ProductChanges) async throws -> Product {
        guard changes.name != nil || changes.price != nil else {
            throw HTTPError(.badRequest, message: "give name or price")
        }
        if let name = changes.name { try Self.validate(name: name) }
        let updated = try await retrying.run {
            try await rows(database.execute(UpdateProduct(name: changes.name, price: changes.price?.value, id: id), logger: logger))
                .first.map { Product(id: $0.0, name: $0.1, price: $0.2) }
        }
        guard let updated else { throw HTTPError(.notFound, message: "product \(id) not found") }
        return updated
    }

    /// One transaction: the customer and the products must exist, then the order and its links.
    func createOrder(_ input: OrderInput) async throws -> Order {
        let customerID = input.customer.id
        let productIDs = Array(Set((input.products ?? []).map(\.id))).sorted()
        let (database, logger) = (orderDatabase, logger)
        return try await retrying.run {
            try await database.withTransaction(logger: logger) { connection in
                guard try await !rows(connection.execute(CustomerExists(id: customerID), logger: logger)).isEmpty else {
                    throw HTTPError(.notFound, message: "customer \(customerID) not found")
                }
                if !productIDs.isEmpty {
                    let found = Set(try await rows(connection.execute(FindProducts(ids: productIDs), logger: logger)))
                    if let missing = productIDs.first(where: { !found.contains($0) }) {
                        throw HTTPError(.notFound, message: "product \(missing) not found")
                    }
                }
                let id = try await rows(connection.execute(InsertOrder(subtotal: input.subtotal.value, customerID: customerID),
                                                           logger: logger))[0]
                if !productIDs.isEmpty {
                    _ = try await connection.execute(InsertOrderProducts(orderID: id, productIDs: productIDs), logger: logger)
                }
                return Order(id: id, subtotal: Money.text(input.subtotal.value), customer_id: customerID, products: productIDs)
            }
        }
    }

    static func validate(name: String) throws {
        guard !name.isEmpty, name.unicodeScalars.count <= 250, !name.contains("\0") else {
            throw HTTPError(.badRequest, message: "name must be 1 to 250 characters")
        }
    }
}

/// Every row of a result (read to the end, so the connection goes back to its pool).
func rows<Rows: AsyncSequence>(_ sequence: Rows) async throws -> [Rows.Element] {
    var all: [Rows.Element] = []
    for try await row in sequence { all.append(row) }
    return all
}
