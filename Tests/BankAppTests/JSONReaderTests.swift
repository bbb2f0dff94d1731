@testable import BankApp
import Testing

@Suite("JSON reader")
struct JSONReaderTests {
    func parse(_ text: String) throws -> JSONValue { try JSONReader.parse(Array(text.utf8)) }

    @Test func numbersKeepTheirLiteralText() throws {
        #expect(try parse("523377322022797313") == .number("523377322022797313"))
        #expect(try parse("12.50") == .number("12.50"))
        #expect(try parse("-0.1") == .number("-0.1"))
        #expect(try parse("1E+2") == .number("1E+2"))
        #expect(try parse("99999999999999999999999999") == .number("99999999999999999999999999"))
    }

    @Test func objectsArraysAndLiterals() throws {
        let value = try parse(#" { "a" : [1, true, false, null, "x"], "b": {} , "c": [] } "#)
        #expect(value["a"] == .array([.number("1"), .bool(true), .bool(false), .null, .string("x")]))
        #expect(value["b"] == .object([]))
        #expect(value["c"] == .array([]))
        #expect(value["missing"] == nil)
    }

    @Test func repeatedKeyKeepsTheLastValue() throws {
        #expect(try parse(#"{"name": "a", "name": "b"}"#)["name"] == .string("b"))
    }

    @Test func stringEscapesAndUnicode() throws {
        #expect(try parse(#""a\"b\\c\/d\n\t\r\b\f""#) == .string("a\"b\\c/d\n\t\r\u{8}\u{C}"))
        #expect(try parse(#""\u00e9\u20AC""#) == .string("é€"))
        #expect(try parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try parse("\"Zoë 😀 日本\"") == .string("Zoë 😀 日本"))
        #expect(try parse(#""\u0000""#) == .string("\u{0}"))
    }

    @Test(arguments: [
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "{\"a\" 1}", "01", "1.", ".5", "-", "1e", "+1",
        "NaN", "Infinity", "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\ud800\\u0041\"",
        "\"a\nb\"", "1 2", "{} {}", "[1] x", "'a'", "/* c */ 1",
    ])
    func refusesInvalidJSON(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONReader.parse(Array(text.utf8)) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONSyntaxError.self) { try JSONReader.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: JSONSyntaxError.self) { try JSONReader.parse([0x22, 0xFF, 0x22]) }
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try JSONReader.parse(Array(deep.utf8)) }
        let ok = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect((try? JSONReader.parse(Array(ok.utf8))) != nil)
    }
}
