/// Whitespace trimming without Foundation: `trimmingCharacters(in:)` goes through NSString on
/// Linux (a UTF-16 copy of each string), and the migration file reader and the linter trim
/// every line of every file, where that copy showed in `makemigrations`' time. Shared (package access) by every module: the server trims settings
/// with it too.
///
/// The sets are exactly Foundation's (CFCharacterSet's): `.whitespaces` is tab, space, U+00A0,
/// U+1680, U+2000-U+200B, U+202F, U+205F and U+3000; `.whitespacesAndNewlines` adds U+000A-U+000D,
/// U+0085, U+2028 and U+2029.
package enum Whitespace {
    package static func isSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x20, 0x09: return true
        case 0..<0xA0: return false
        case 0xA0, 0x1680, 0x2000...0x200B, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    package static func isSpaceOrNewline(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x0A...0x0D, 0x85, 0x2028, 0x2029: return true
        default: return isSpace(c)
        }
    }

    package static func trimmed(_ scalars: Substring.UnicodeScalarView, _ isTrimmed: (Unicode.Scalar) -> Bool) -> String {
        guard let first = scalars.firstIndex(where: { !isTrimmed($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isTrimmed($0) })!
        return String(scalars[first...last])
    }
}

extension Substring {
    /// `trimmingCharacters(in: .whitespaces)`, the same result.
    package func trimmingSpaces() -> String { Whitespace.trimmed(unicodeScalars, Whitespace.isSpace) }

    /// `trimmingCharacters(in: .whitespacesAndNewlines)`, the same result.
    package func trimmingSpacesAndNewlines() -> String { Whitespace.trimmed(unicodeScalars, Whitespace.isSpaceOrNewline) }
}

extension String {
    /// `trimmingCharacters(in: .whitespaces)`, the same result.
    package func trimmingSpaces() -> String { self[...].trimmingSpaces() }

    /// `trimmingCharacters(in: .whitespacesAndNewlines)`, the same result.
    package func trimmingSpacesAndNewlines() -> String { self[...].trimmingSpacesAndNewlines() }
}

extension String {
    /// The lines, cut at every line feed (a carriage return before it stays on the line, for
    /// the caller to drop: a file saved with Windows line endings reads like any other). Works
    /// on the UTF-8 bytes rather than by Character: grapheme breaking costs, and CR LF is one
    /// Character, which a Character split never cuts.
    package func splitLines() -> [Substring] {
        var result: [Substring] = []
        var start = startIndex
        var i = utf8.startIndex
        while i != utf8.endIndex {
            if utf8[i] == 0x0A {
                result.append(self[start..<i])
                start = utf8.index(after: i)
            }
            utf8.formIndex(after: &i)
        }
        result.append(self[start...])
        return result
    }
}
