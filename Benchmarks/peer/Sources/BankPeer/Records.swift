import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// The JSON of the bench scenarios (docs/API.md of the project), as Codable types.

struct Customer: ResponseCodable {
    var id: Int64
    var name: String
}

struct CustomerInput: Decodable {
    var name: String
}

struct Product: ResponseEncodable {
    var id: Int64
    var name: String
    var price: String

    init(id: Int64, name: String, price: Decimal) {
        self.id = id
        self.name = name
        self.price = Money.text(price)
    }
}

struct ProductInput: Decodable {
    var name: String
    var price: Money
}

struct ProductChanges: Decodable {
    var name: String?
    var price: Money?
}

struct OrderInput: Decodable {
    struct Reference: Decodable { var id: Int64 }
    var subtotal: Money
    var customer: Reference
    var products: [Reference]?
}

struct Order: ResponseEncodable {
    var id: Int64
    var subtotal: String
    var customer_id: Int64
    var products: [Int64]
}

/// DECIMAL(18,2) money as the API takes it: a JSON string ("12.50") or number (12.5).
struct Money: Decodable {
    var value: Decimal

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let value = Decimal(string: text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a decimal: \(text)")
            }
            self.value = value
        } else {
            self.value = try container.decode(Decimal.self)
        }
    }

    /// Two decimals, as the API answers ("1.50"): a DECIMAL(18,2) read back has at most two.
    static func text(_ value: Decimal) -> String {
        let text = "\(value)"
        guard let dot = text.firstIndex(of: ".") else { return text + ".00" }
        let decimals = text.distance(from: text.index(after: dot), to: text.endIndex)
        return decimals >= 2 ? text : text + String(repeating: "0", count: 2 - decimals)
    }
}
