/// Whitespace trimming without Foundation: `trimmingCharacters(in:)` goes through NSString on
/// Linux (a UTF-16 copy of each string), and the migration file reader and the linter trim
/// every line of every file, which made it most of `makemigrations`' time once the SQL writer
/// stopped being quadratic.
///
/// The sets are exactly Foundation's (CFCharacterSet's): `.whitespaces` is tab, space, U+00A0,
/// U+1680, U+2000-U+200B, U+202F, U+205F and U+3000; `.whitespacesAndNewlines` adds U+000A-U+000D,
/// U+0085, U+2028 and U+2029.
enum Whitespace {
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x20, 0x09: return true
        case 0..<0xA0: return false
        case 0xA0, 0x1680, 0x2000...0x200B, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    static func isSpaceOrNewline(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x0A...0x0D, 0x85, 0x2028, 0x2029: return true
        default: return isSpace(c)
        }
    }

    static func trimmed(_ scalars: Substring.UnicodeScalarView, _ isTrimmed: (Unicode.Scalar) -> Bool) -> String {
        guard let first = scalars.firstIndex(where: { !isTrimmed($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isTrimmed($0) })!
        return String(scalars[first...last])
    }
}

extension Substring {
    /// `trimmingCharacters(in: .whitespaces)`, the same result.
    func trimmingSpaces() -> String { Whitespace.trimmed(unicodeScalars, Whitespace.isSpace) }

    /// `trimmingCharacters(in: .whitespacesAndNewlines)`, the same result.
    func trimmingSpacesAndNewlines() -> String { Whitespace.trimmed(unicodeScalars, Whitespace.isSpaceOrNewline) }
}

extension String {
    /// `trimmingCharacters(in: .whitespaces)`, the same result.
    func trimmingSpaces() -> String { self[...].trimmingSpaces() }

    /// `trimmingCharacters(in: .whitespacesAndNewlines)`, the same result.
    func trimmingSpacesAndNewlines() -> String { self[...].trimmingSpacesAndNewlines() }
}

extension String {
    /// The same pieces as `split(separator: "\n", omittingEmptySubsequences: false)`, found on
    /// the UTF-8 bytes instead of by Character (grapheme breaking was a tenth of makemigrations'
    /// time). A line feed is a Character of its own except after a carriage return (CR LF is
    /// one Character, which that split does not cut), so the cuts are the same.
    func splitLines() -> [Substring] {
        var result: [Substring] = []
        var start = startIndex
        var previous: UInt8 = 0
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let byte = utf8[i]
            if byte == 0x0A && previous != 0x0D {
                result.append(self[start..<i])
                start = utf8.index(after: i)
            }
            previous = byte
            utf8.formIndex(after: &i)
        }
        result.append(self[start...])
        return result
    }
}
