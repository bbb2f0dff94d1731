import Foundation
import Database
@testable import MigrationEngine
import Testing

/// The engine's own text helpers (faster than the Foundation and Character-level calls they
/// replaced, and Foundation is not linked) give the same results as those calls on awkward
/// text, except where quoting must work on scalars, not Characters.
@Suite struct TextHelpersTests {
    static let samples: [String] = {
        let pieces = ["", "a", " ", "\t", "\n", "\r", "\r\n", "\n\r", "\u{A0}", "\u{3000}", "\u{200B}", "\u{2028}", "\u{85}",
                      "\u{301}", "e\u{301}", "\"", "\"\"", "'", "''", "'\u{301}", "\"\u{301}", "x\"y", "-- migrate:up", "é", "\u{1F600}"]
        var out = pieces
        for a in pieces { for b in pieces { out.append(a + b); out.append(a + "z" + b + " ") } }
        return out
    }()

    /// Compared byte for byte (String's == is canonical equivalence).
    static func same(_ a: String, _ b: String) -> Bool { Array(a.utf8) == Array(b.utf8) }

    @Test func trimmingIsFoundations() {
        for text in Self.samples {
            #expect(Self.same(text.trimmingSpaces(), text.trimmingCharacters(in: .whitespaces)), "\(text.debugDescription)")
            #expect(Self.same(text.trimmingSpacesAndNewlines(), text.trimmingCharacters(in: .whitespacesAndNewlines)), "\(text.debugDescription)")
            let sub = ("<" + text + ">").dropFirst().dropLast()
            #expect(Self.same(sub.trimmingSpaces(), sub.trimmingCharacters(in: .whitespaces)), "\(text.debugDescription)")
        }
    }

    @Test func everyFoundationWhitespaceScalar() {
        for value in UInt32(0)...0x3100 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = String(Character(scalar)) + "x"
            #expect(Self.same(text.trimmingSpaces(), text.trimmingCharacters(in: .whitespaces)), "U+\(String(value, radix: 16))")
            #expect(Self.same(text.trimmingSpacesAndNewlines(), text.trimmingCharacters(in: .whitespacesAndNewlines)), "U+\(String(value, radix: 16))")
        }
    }

    @Test func splitLinesCutsAtEveryLineFeed() {
        for text in Self.samples {
            #expect(text.splitLines().map { Array($0.utf8) } == Array(text.utf8).split(separator: 0x0A, omittingEmptySubsequences: false).map { Array($0) },
                    "\(text.debugDescription)")
        }
        #expect(Array("a\r\nb\n\nc".splitLines()) == ["a\r", "b", "", "c"])
    }

    /// Every occurrence of `target` scalars replaced, scalar by scalar: the servers read quotes
    /// byte by byte, so a combining mark after a quote must not hide it.
    static func scalarReplace(_ text: String, _ target: String, _ replacement: String) -> String {
        let scalars = Array(text.unicodeScalars), pattern = Array(target.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            if i + pattern.count <= scalars.count, Array(scalars[i..<(i + pattern.count)]) == pattern {
                out.append(contentsOf: replacement.unicodeScalars)
                i += pattern.count
            } else {
                out.append(scalars[i])
                i += 1
            }
        }
        return String(out)
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
