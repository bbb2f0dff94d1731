import Foundation
@testable import MigrationEngine
import Testing
import TestSupport

/// The engine's own text helpers (SQL quoting and unquoting, indenting, name comparison, the
/// lexer's token text) give the same results as the Foundation and Character-level calls they
/// replaced on awkward text, except where quoting must work on scalars, not Characters. The
/// Database module's helpers they build on (trimming, line splitting, byte replacement) are
/// tested in DatabaseTests.
@Suite struct TextHelpersTests {
    static let samples = AwkwardText.samples
    static func same(_ a: String, _ b: String) -> Bool { AwkwardText.same(a, b) }

    static func scalarReplace(_ text: String, _ target: String, _ replacement: String) -> String {
        AwkwardText.scalarReplace(text, target, replacement)
    }

    @Test func quotingDoublesEveryQuoteScalar() {
        for text in Self.samples {
            #expect(Self.same(SQLWriter.quote(text), "\"" + Self.scalarReplace(text, "\"", "\"\"") + "\""), "\(text.debugDescription)")
            #expect(Self.same(SQLWriter.literal(text), "'" + Self.scalarReplace(text, "'", "''") + "'"), "\(text.debugDescription)")
            #expect(Self.same(SQLLexer.unescaped(text, "'"), Self.scalarReplace(text, "''", "'")), "\(text.debugDescription)")
            #expect(Self.same(SQLLexer.unescaped(text, "\""), Self.scalarReplace(text, "\"\"", "\"")), "\(text.debugDescription)")
            #expect(Self.same(MakeMigrations.indented(text), Self.scalarReplace(text, "\n", "\n  ")), "\(text.debugDescription)")
        }
        // A quote followed by a combining mark is one Character, and Foundation's
        // replacingOccurrences (used before) left it single: the literal ended early.
        #expect(Self.same(SQLWriter.literal("a'\u{301}b"), "'a''\u{301}b'"))
        #expect(Self.same(SQLWriter.quote("t\"\u{301}"), "\"t\"\"\u{301}\""))
    }

    @Test func lowercasedEqualsIsLowercasedThenEqual() {
        let names = ["Customers", "customers", "CUSTOMERS", "customer", "Bench001", "bench001", "Bench0010", "", "A", "a", "@", "`",
                     "[", "Z", "z", "\u{212A}", "k", "K", "É", "é", "e\u{301}", "E\u{301}", "İ", "i\u{307}", "ÉCOLE", "école", "a\u{0}b",
                     "averyveryverylongmodelname_x", "AVeryVeryVeryLongModelName_X"]
        for name in names {
            for key in names {
                #expect(name.lowercasedEquals(key) == (name.lowercased() == key), "\(name.debugDescription) \(key.debugDescription)")
            }
        }
    }

    @Test func lexedTextIsTheSource() {
        let sql = "CREATE TABLE \"a\"\"b\u{301}\" (x INT DEFAULT 'it''s é', \"\u{1F600}\" TEXT); -- note é\n/* c\u{301} */ SELECT $t$ z $t$;"
        let tokens = SQLLexer.tokens(sql)
        #expect(tokens.map(\.text) == ["CREATE", "TABLE", "a\"b\u{301}", "(", "x", "INT", "DEFAULT", "it's é", ",", "\u{1F600}", "TEXT",
                                       ")", ";", " note é", " c\u{301} ", "SELECT", " z ", ";"])
    }
}
