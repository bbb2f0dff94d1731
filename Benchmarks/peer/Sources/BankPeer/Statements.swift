import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// The SQL of the bench scenarios, as the project's BankService sends it, as postgres-nio prepared
// statements (prepared once per connection, then executed by name: how its users avoid a parse
// per query). Money goes in and out as NUMERIC (Foundation's Decimal); a bound String would be
// typed text, which PostgreSQL does not assign to a NUMERIC column.

struct ListCustomers: PostgresPreparedStatement {
    static let sql = "SELECT id, name FROM myproject_customers WHERE id > $1 ORDER BY id LIMIT $2"
    typealias Row = (Int64, String)
    var after: Int64
    var limit: Int64
    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(after)
        bindings.append(limit)
        return bindings
    }
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

struct SelectCustomer: PostgresPreparedStatement {
    static let sql = "SELECT id, name FROM myproject_customers WHERE id = $1"
    typealias Row = (Int64, String)
    var id: Int64
    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(id)
        return bindings
    }
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

struct InsertCustomer: PostgresPreparedStatement {
    static let sql = "INSERT INTO myproject_customers (name) VALUES ($1) RETURNING id, name"
    typealias Row = (Int64, String)
    var name: String
    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(name)
        return bindings
    }
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

struct InsertProduct: PostgresPreparedStatement {
    static let sql = "INSERT INTO myproject_products (name, price) VALUES ($1, $2) RETURNING id, name, price"
    typealias Row = (Int64, String, Decimal)
    var name: String
    var price: Decimal
    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(name)
        try bindings.append(price)
        return bindings
    }
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

struct UpdateProduct: PostgresPreparedStatement {
    static let sql = """
        UPDATE myproject_products
        SET name = COALESCE($1::VARCHAR, name), price = COALESCE($2::DECIMAL(18,2), price)
        WHERE id = $3 RETURNING id, name, price
        """
    typealias Row = (Int64, String, Decimal)
    var name: String?
    var price: Decimal?
    var id: Int64
    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(name)
        try bindings.append(price)
        bindings.append(id)
        return bindings
    }
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

struct CustomerExists: PostgresPreparedStatement {
    static let sql = "SELECT 1 FROM myproject_customers WHERE id = $1"
    typealias Row = Int32
    var id: Int64
    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(id)
        return bindings
    }
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

struct FindProducts: PostgresPreparedStatement {
    static let sql = "SELECT id FROM myproject_products WHERE id = ANY($1::INT8[])"
    typealias Row = Int64
    var ids: [Int64]
    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(ids)
        return bindings
    }
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

struct InsertOrder: PostgresPreparedStatement {
    static let sql = "INSERT INTO myproject_orders (subtotal, customer_id) VALUES ($1, $2) RETURNING id"
    typealias Row = Int64
    var subtotal: Decimal
    var customerID: Int64
    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        try bindings.append(subtotal)
        bindings.append(customerID)
        return bindings
    }
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

struct InsertOrderProducts: PostgresPreparedStatement {
    static let sql = """
        INSERT INTO myproject_orders_product (orders_id, products_id)
        SELECT $1::INT8, p FROM unnest($2::INT8[]) AS t(p)
        """
    typealias Row = ()
    var orderID: Int64
    var productIDs: [Int64]
    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(orderID)
        bindings.append(productIDs)
        return bindings
    }
    func decodeRow(_ row: PostgresRow) throws -> Row {}
}
