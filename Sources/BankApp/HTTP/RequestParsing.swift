import Database

/// Turns the client's text (path segments, query strings, JSON bodies) into validated values.
/// Pure functions: tested without a server (RequestParsingTests).

/// Positive 64-bit ids, from a path segment, a query value or a JSON body.
enum Identifier {
    /// Digits only, 1...Int64.max (`"0"`, `"-1"`, `"+1"`, `"1.0"`, `""` are not ids).
    static func parse<S: StringProtocol>(digits text: S) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let value = Int64(text), value > 0
        else { return nil }
        return value
    }

    /// A JSON integer or a string of digits (what JavaScript clients send above 2^53).
    static func parse(json value: JSONValue) -> Int64? {
        switch value {
        case .number(let literal), .string(let literal): return parse(digits: literal)
        default: return nil
        }
    }
}

/// `?limit=N&after=ID` of the list endpoints.
struct ListQuery: Equatable {
    static let maximumLimit = 10_000
    /// Rows with an id above this one (0: from the start).
    var after: Int64 = 0
    /// At most this many rows; nil: all of them.
    var limit: Int?

    /// Parses a raw query string (no `?`). Unknown parameters are ignored; a repeated, empty,
    /// negative or non-integer `limit`/`after`, or a limit outside 1...10000, is an error.
    static func parse(_ query: Substring?) throws(APIError) -> ListQuery {
        var result = ListQuery()
        var seenAfter = false, seenLimit = false
        guard let query, !query.isEmpty else { return result }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecoded(parts[0])
            let value = parts.count > 1 ? percentDecoded(parts[1]) : ""
            switch name {
            case "limit":
                guard !seenLimit else { throw .badRequest("'limit' given more than once") }
                seenLimit = true
                guard value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(value),
                      (1...maximumLimit).contains(n)
                else { throw .badRequest("'limit' must be an integer from 1 to \(maximumLimit)") }
                result.limit = n
            case "after":
                guard !seenAfter else { throw .badRequest("'after' given more than once") }
                seenAfter = true
                if value == "0" { result.after = 0; continue }
                guard let id = Identifier.parse(digits: value) else {
                    throw .badRequest("'after' must be an id (a non-negative 64-bit integer)")
                }
                result.after = id
            default:
                continue
            }
        }
        return result
    }

    /// `%XX` and `+` decoded; malformed escapes are kept as they are (and then fail validation).
    static func percentDecoded(_ text: Substring) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(text) }
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "+") {
                bytes.append(0x20); i += 1
            } else if utf8[i] == UInt8(ascii: "%"), i + 2 < utf8.count,
                      let high = hexValue(utf8[i + 1]), let low = hexValue(utf8[i + 2]) {
                bytes.append(high << 4 | low); i += 3
            } else {
                bytes.append(utf8[i]); i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }
}

/// Money from JSON: a number (exponent form allowed) or a string holding a plain decimal.
enum MoneyField {
    static func parse(_ value: JSONValue, field: String) throws(APIError) -> Money {
        let money: Money?
        switch value {
        case .number(let literal): money = Money(exactly: literal, allowingExponent: true)
        case .string(let text): money = Money(exactly: text)
        default: throw .badRequest("'\(field)' must be a decimal number or a string holding one")
        }
        guard let money else {
            throw .badRequest("'\(field)' must be a decimal with at most 16 digits before the point and 2 after")
        }
        return money
    }
}

// MARK: - Request bodies

struct CustomerInput: Equatable {
    var name: String
}

struct ProductInput: Equatable {
    var name: String
    var price: Money
}

/// PUT /product/<id>/: either field or both.
struct ProductChanges: Equatable {
    var name: String?
    var price: Money?
}

struct OrderInput: Equatable {
    var subtotal: Money
    var customerID: Int64
    /// Distinct, ascending.
    var productIDs: [Int64]
}

/// Reads request bodies into the inputs above; every failure is a 400 with a message naming
/// the field.
enum RequestBodyParser {
    static let maximumNameLength = 250

    /// The body as a JSON object (an empty body is not one).
    static func object<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(APIError) -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONReader.parse(bytes)
        } catch {
            throw .badRequest(bytes.isEmpty ? "request body is empty; expected a JSON object" : "request body is not valid JSON: \(error)")
        }
        guard case .object = value else { throw .badRequest("request body must be a JSON object, not \(value.typeName)") }
        return value
    }

    static func customer(_ body: JSONValue) throws(APIError) -> CustomerInput {
        guard let name = body["name"] else { throw .badRequest("'name' is required") }
        return CustomerInput(name: try self.name(name))
    }

    static func product(_ body: JSONValue) throws(APIError) -> ProductInput {
        guard let name = body["name"] else { throw .badRequest("'name' is required") }
        guard let price = body["price"] else { throw .badRequest("'price' is required") }
        return ProductInput(name: try self.name(name), price: try MoneyField.parse(price, field: "price"))
    }

    static func productChanges(_ body: JSONValue) throws(APIError) -> ProductChanges {
        let name = body["name"], price = body["price"]
        guard name != nil || price != nil else { throw .badRequest("give 'name', 'price' or both") }
        var changes = ProductChanges()
        if let name { changes.name = try self.name(name) }
        if let price { changes.price = try MoneyField.parse(price, field: "price") }
        return changes
    }

    static func order(_ body: JSONValue) throws(APIError) -> OrderInput {
        guard let subtotal = body["subtotal"] else { throw .badRequest("'subtotal' is required") }
        let money = try MoneyField.parse(subtotal, field: "subtotal")
        guard let customer = body["customer"], customer != .null else { throw .badRequest("'customer' is required") }
        let customerID = try reference(customer, field: "customer")
        var productIDs: [Int64] = []
        switch body["products"] {
        case nil, .null?:
            break
        case .array(let elements)?:
            productIDs.reserveCapacity(elements.count)
            for element in elements { productIDs.append(try reference(element, field: "products[]")) }
        case let other?:
            throw .badRequest("'products' must be an array of {\"id\": ...} objects, not \(other.typeName)")
        }
        return OrderInput(subtotal: money, customerID: customerID, productIDs: Array(Set(productIDs)).sorted())
    }

    /// `{"id": <id>}` naming a customer or product.
    private static func reference(_ value: JSONValue, field: String) throws(APIError) -> Int64 {
        guard case .object = value else { throw .badRequest("'\(field)' must be an object like {\"id\": 1}") }
        guard let idValue = value["id"] else { throw .badRequest("'\(field)' needs an 'id'") }
        guard let id = Identifier.parse(json: idValue) else {
            throw .badRequest("'\(field).id' must be a positive 64-bit integer (a number or a string of digits)")
        }
        return id
    }

    /// A non-empty string of at most 250 characters (as the database counts them: code points),
    /// without NUL (PostgreSQL text cannot hold it).
    private static func name(_ value: JSONValue) throws(APIError) -> String {
        guard case .string(let name) = value else { throw .badRequest("'name' must be a string, not \(value.typeName)") }
        guard !name.isEmpty else { throw .badRequest("'name' must not be empty") }
        guard name.unicodeScalars.count <= maximumNameLength else {
            throw .badRequest("'name' must be at most \(maximumNameLength) characters")
        }
        guard !name.unicodeScalars.contains("\u{0}") else { throw .badRequest("'name' must not contain NUL characters") }
        return name
    }
}
