import Database
import Foundation
import Testing
import TestSupport

/// Whitespace.swift's helpers, which every module uses instead of Foundation's: the same
/// results as `trimmingCharacters(in:)` on awkward text, and lines cut at every line feed.
@Suite struct WhitespaceTests {
    static let samples = AwkwardText.samples
    static func same(_ a: String, _ b: String) -> Bool { AwkwardText.same(a, b) }

    @Test func trimmingSpacesAsFoundationsWhitespaces() {
        #expect("  a b \t".trimmingSpaces() == "a b")
        #expect("\u{00A0}x\u{3000}".trimmingSpaces() == "x")
        #expect(" \t ".trimmingSpaces() == "")
        #expect("\nx\n".trimmingSpaces() == "\nx\n")  // newlines are not spaces
    }

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
}
