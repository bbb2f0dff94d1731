/// Text that trips up string code: every kind of whitespace and line break, combining marks
/// after quotes, CR LF, emoji, a migration file's marker line; each alone and in pairs.
///
/// The hand-written text helpers (Database's trimming, line splitting and byte replacement;
/// MigrationEngine's quoting) are checked against Foundation or a scalar-by-scalar reference
/// on all of it.
public enum AwkwardText {
    public static let samples: [String] = {
        let pieces = ["", "a", " ", "\t", "\n", "\r", "\r\n", "\n\r", "\u{A0}", "\u{3000}", "\u{200B}", "\u{2028}", "\u{85}",
                      "\u{301}", "e\u{301}", "\"", "\"\"", "'", "''", "'\u{301}", "\"\u{301}", "x\"y", "-- migrate:up", "é", "\u{1F600}"]
        var out = pieces
        for a in pieces { for b in pieces { out.append(a + b); out.append(a + "z" + b + " ") } }
        return out
    }()

    /// Compared byte for byte (String's == is canonical equivalence).
    public static func same(_ a: String, _ b: String) -> Bool { Array(a.utf8) == Array(b.utf8) }

    /// Every occurrence of `target` scalars replaced, scalar by scalar: the servers read quotes
    /// byte by byte, so a combining mark after a quote must not hide it.
    public static func scalarReplace(_ text: String, _ target: String, _ replacement: String) -> String {
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
}
