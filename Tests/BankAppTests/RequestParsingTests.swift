@testable import BankApp
import Database
import Testing

@Suite("Request parsing")
struct RequestParsingTests {
    func json(_ text: String) throws -> JSONValue { try RequestBodyParser.object(Array(text.utf8)) }

    @Test func pathIDs() {
        #expect(Identifier.parse(digits: "1") == 1)
        #expect(Identifier.parse(digits: "523377322022797313") == 523377322022797313)
        #expect(Identifier.parse(digits: "9223372036854775807") == Int64.max)
        for bad in ["", "0", "-1", "+1", "1.0", "abc", "1e3", "9223372036854775808", " 1", "١"] {
            #expect(Identifier.parse(digits: bad) == nil, "\(bad)")
        }
    }

    @Test func bodyIDs() {
        #expect(Identifier.parse(json: .number("523377322022797313")) == 523377322022797313)
        #expect(Identifier.parse(json: .string("523377322022797313")) == 523377322022797313)
        #expect(Identifier.parse(json: .number("1.0")) == nil)
        #expect(Identifier.parse(json: .number("-3")) == nil)
        #expect(Identifier.parse(json: .number("1E2")) == nil)
        #expect(Identifier.parse(json: .bool(true)) == nil)
        #expect(Identifier.parse(json: .null) == nil)
    }

    @Test func money() throws {
        func cents(_ value: JSONValue) throws -> Int64 { try MoneyField.parse(value, field: "price").cents }
        #expect(try cents(.number("12.5")) == 1250)
        #expect(try cents(.string("12.50")) == 1250)
        #expect(try cents(.string("9999999999999999.99")) == 999_999_999_999_999_999)
        #expect(try cents(.string("-9999999999999999.99")) == -999_999_999_999_999_999)
        #expect(try cents(.number("9999999999999999.99")) == 999_999_999_999_999_999)
        #expect(try cents(.string("1.230")) == 123)
        #expect(try cents(.number("1E+2")) == 10000)
        #expect(try cents(.number("1.5e1")) == 1500)
        #expect(try cents(.number("-0.01")) == -1)
        for bad: JSONValue in [.string("1.234"), .number("1.234"), .string("10000000000000000"),
                               .string("99999999999999999.99"), .string("1E+2"), .string("12abc"), .string(""),
                               .string(" 1"), .string("1."), .string(".5"), .bool(true), .null, .array([])] {
            #expect(throws: APIError.self, "\(bad)") { try MoneyField.parse(bad, field: "price") }
        }
    }

    @Test func listQuery() throws {
        #expect(try ListQuery.parse(nil) == ListQuery())
        #expect(try ListQuery.parse("") == ListQuery())
        #expect(try ListQuery.parse("limit=2&after=5") == ListQuery(after: 5, limit: 2))
        #expect(try ListQuery.parse("after=0") == ListQuery(after: 0, limit: nil))
        #expect(try ListQuery.parse("after=523377322022797313") == ListQuery(after: 523377322022797313))
        #expect(try ListQuery.parse("limit=10000&other=x&x") == ListQuery(after: 0, limit: 10000))
        #expect(try ListQuery.parse("limit=%31%30") == ListQuery(after: 0, limit: 10))
        for bad in ["limit=0", "limit=10001", "limit=-1", "limit=1.5", "limit=", "limit", "limit=1&limit=1",
                    "after=-1", "after=x", "after=", "after=1&after=2", "after=9223372036854775808", "limit=+1"] {
            #expect(throws: APIError.self, "\(bad)") { try ListQuery.parse(Substring(bad)) }
        }
    }

    @Test func customerBodies() throws {
        #expect(try RequestBodyParser.customer(json(#"{"name":"Carl"}"#)) == CustomerInput(name: "Carl"))
        #expect(try RequestBodyParser.customer(json(#"{"name":"Carl","extra":[1]}"#)) == CustomerInput(name: "Carl"))
        let long = String(repeating: "é", count: 250)
        #expect(try RequestBodyParser.customer(json(#"{"name":"\#(long)"}"#)).name == long)
        for bad in [#"{}"#, #"{"name": ""}"#, #"{"name": 5}"#, #"{"name": null}"#,
                    #"{"name": "\#(long)x"}"#, #"{"name": "a\u0000b"}"#] {
            #expect(throws: APIError.self, "\(bad)") { try RequestBodyParser.customer(json(bad)) }
        }
    }

    @Test func bodyMustBeAJSONObject() {
        for bad in ["", "[]", "\"x\"", "1", "null", "{", "{\"name\":\"Carl\"} x"] {
            #expect(throws: APIError.self, "\(bad)") { try RequestBodyParser.object(Array(bad.utf8)) }
        }
    }

    @Test func productBodies() throws {
        #expect(try RequestBodyParser.product(json(#"{"name": "Ice Cream", "price": 123.4}"#))
                == ProductInput(name: "Ice Cream", price: Money(cents: 12340)!))
        #expect(throws: APIError.self) { try RequestBodyParser.product(json(#"{"name": "x"}"#)) }
        #expect(throws: APIError.self) { try RequestBodyParser.product(json(#"{"price": 1}"#)) }
        #expect(try RequestBodyParser.productChanges(json(#"{"price": "2"}"#)) == ProductChanges(name: nil, price: Money(cents: 200)))
        #expect(try RequestBodyParser.productChanges(json(#"{"name": "y"}"#)) == ProductChanges(name: "y", price: nil))
        #expect(throws: APIError.self) { try RequestBodyParser.productChanges(json(#"{"other": 1}"#)) }
    }

    @Test func orderBodies() throws {
        let order = try RequestBodyParser.order(json(
            #"{"subtotal": "123.40", "customer": {"id": "523377322022797313"}, "products": [{"id": 3}, {"id": 2}, {"id": 3}]}"#))
        #expect(order == OrderInput(subtotal: Money(cents: 12340)!, customerID: 523377322022797313, productIDs: [2, 3]))
        #expect(try RequestBodyParser.order(json(#"{"subtotal": 1, "customer": {"id": 1}, "products": null}"#)).productIDs == [])
        #expect(try RequestBodyParser.order(json(#"{"subtotal": 1, "customer": {"id": 1}}"#)).productIDs == [])
        for bad in [#"{"customer": {"id": 1}}"#, #"{"subtotal": 1}"#, #"{"subtotal": 1, "customer": null}"#,
                    #"{"subtotal": 1, "customer": 1}"#, #"{"subtotal": 1, "customer": {}}"#,
                    #"{"subtotal": 1, "customer": {"id": 0}}"#, #"{"subtotal": 1, "customer": {"id": 1}, "products": {}}"#,
                    #"{"subtotal": 1, "customer": {"id": 1}, "products": [1]}"#,
                    #"{"subtotal": 1, "customer": {"id": 1}, "products": [{"id": "x"}]}"#] {
            #expect(throws: APIError.self, "\(bad)") { try RequestBodyParser.order(json(bad)) }
        }
    }

    @Test func contentTypes() {
        #expect(BankAPI.isJSONContentType(nil))
        #expect(BankAPI.isJSONContentType("application/json"))
        #expect(BankAPI.isJSONContentType("Application/JSON; charset=utf-8"))
        #expect(BankAPI.isJSONContentType("application/vnd.api+json"))
        #expect(!BankAPI.isJSONContentType("text/plain"))
        #expect(!BankAPI.isJSONContentType("application/x-www-form-urlencoded"))
        #expect(!BankAPI.isJSONContentType("application/jsonx"))
    }
}
