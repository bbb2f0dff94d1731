import Database

/// Rows of the bank's tables as the API returns them. (The model declarations the migrations
/// are made from live in Models.swift; these are the read side.)
struct CustomerRecord: Equatable, Sendable {
    var id: Int64
    var name: String

    /// From `SELECT id, name`.
    init(row: Row) throws {
        id = try row.decode(Int64.self, at: 0)
        name = try row.decode(String.self, at: 1)
    }

    init(id: Int64, name: String) { self.id = id; self.name = name }
}

struct ProductRecord: Equatable, Sendable {
    var id: Int64
    var name: String
    var price: Money

    /// From `SELECT id, name, price`.
    init(row: Row) throws {
        id = try row.decode(Int64.self, at: 0)
        name = try row.decode(String.self, at: 1)
        price = try row.decode(Money.self, at: 2)
    }

    init(id: Int64, name: String, price: Money) { self.id = id; self.name = name; self.price = price }
}

struct OrderRecord: Equatable, Sendable {
    var id: Int64
    var subtotal: Money
    /// NULL in the table is possible (the column is nullable), though the API always sets it.
    var customerID: Int64?
    /// Ascending.
    var productIDs: [Int64]

    /// From `SELECT id, subtotal, customer_id`; products are added by the caller.
    init(row: Row) throws {
        id = try row.decode(Int64.self, at: 0)
        subtotal = try row.decode(Money.self, at: 1)
        customerID = try row.decode(Int64?.self, at: 2)
        productIDs = []
    }

    init(id: Int64, subtotal: Money, customerID: Int64?, productIDs: [Int64]) {
        self.id = id; self.subtotal = subtotal; self.customerID = customerID; self.productIDs = productIDs
    }
}
