/// Lexes SQL text into tokens, for every reader of SQL in the engine: the statement splitter
/// (`SQLScript`), the linter, and the executor's `StatementEffect`. Enough lexing to tell
/// keywords from names, strings and comments, with the line each starts on and where it is in
/// the text.
enum SQLLexer {
    /// The tokens of `sql`, whose first line is line `firstLine` of its file.
    static func tokens(_ sql: String, firstLine: Int = 1) -> [SQLToken] {
        var scanner = Scanner(sql, firstLine: firstLine)
        scanner.run()
        return scanner.tokens
    }

    /// A quoted text with its doubled quotes made single; the replace runs only when there is
    /// a pair to replace (most strings and names have none).
    static func unescaped(_ text: String, _ quote: Unicode.Scalar) -> String {
        var previous: Unicode.Scalar?
        for c in text.unicodeScalars {
            if c == quote && previous == quote {
                let one = String(Character(quote))
                return text.replacingBytes(one + one, with: one)
            }
            previous = c
        }
        return text
    }

    /// The index of the closing `$` of a dollar-quote tag starting at `i`, if one starts there.
    static func dollarTagEnd(_ chars: [Unicode.Scalar], _ i: Int) -> Int? {
        if i > 0, chars[i - 1].properties.isAlphabetic || ("0"..."9").contains(chars[i - 1]) || chars[i - 1] == "_" { return nil }
        var j = i + 1
        while j < chars.count {
            let c = chars[j]
            if c == "$" { return j }
            guard c.properties.isAlphabetic || c == "_" || (j > i + 1 && ("0"..."9").contains(c)) else { return nil }
            j += 1
        }
        return nil
    }

    /// One pass over the text: `i` is the next scalar, `line` its line.
    private struct Scanner {
        let sql: String
        let chars: [Unicode.Scalar]
        /// Where each scalar starts in `sql`, so a token's text is one copy of its bytes.
        let offsets: [String.Index]
        var i = 0
        var line: Int
        var tokens: [SQLToken] = []

        init(_ sql: String, firstLine: Int) {
            self.sql = sql
            chars = Array(sql.unicodeScalars)
            offsets = Array(sql.unicodeScalars.indices) + [sql.endIndex]
            line = firstLine
        }

        func at(_ j: Int) -> Unicode.Scalar? { j < chars.count ? chars[j] : nil }

        func text(_ from: Int, _ to: Int) -> String { String(sql.unicodeScalars[offsets[from]..<offsets[min(to, chars.count)]]) }

        /// Adds a token made of scalars `start..<end` (its text `text`) and moves past them.
        mutating func emit(_ kind: SQLToken.Kind, _ text: String, from start: Int, to end: Int) {
            let end = min(end, chars.count)
            tokens.append(SQLToken(kind: kind, text: text, line: line, range: offsets[start]..<offsets[end]))
            advance(to: end)
        }

        mutating func advance(to end: Int) {
            while i < end && i < chars.count { if chars[i] == "\n" { line += 1 }; i += 1 }
        }

        mutating func run() {
            while i < chars.count {
                let c = chars[i], next = at(i + 1)
                if Self.isWhitespace(c) { advance(to: i + 1) }
                else if c == "-" && next == "-" { lineComment() }
                else if c == "/" && next == "*" { blockComment() }
                else if c == "'" || ((c == "E" || c == "e") && next == "'") { string(backslashEscapes: c != "'") }
                else if c == "\"" { quotedIdentifier() }
                else if c == "$", let tagEnd = SQLLexer.dollarTagEnd(chars, i) { dollarString(tagEnd: tagEnd) }
                else if Self.isWordStart(c) { word() }
                else if ("0"..."9").contains(c) { number() }
                else if c == ":" && next == ":" { emit(.symbol, "::", from: i, to: i + 2) }
                else { emit(.symbol, String(c), from: i, to: i + 1) }
            }
        }

        mutating func lineComment() {
            var j = i + 2
            while j < chars.count && chars[j] != "\n" { j += 1 }
            emit(.comment, text(i + 2, j), from: i, to: j)
        }

        /// Nested, as PostgreSQL nests them.
        mutating func blockComment() {
            var depth = 1, j = i + 2
            while j < chars.count && depth > 0 {
                if chars[j] == "/" && at(j + 1) == "*" { depth += 1; j += 2 }
                else if chars[j] == "*" && at(j + 1) == "/" { depth -= 1; j += 2 }
                else { j += 1 }
            }
            emit(.comment, text(i + 2, max(i + 2, j - 2)), from: i, to: j)
        }

        /// `'...'`, or `E'...'` where a backslash escapes the next character.
        mutating func string(backslashEscapes: Bool) {
            var j = backslashEscapes ? i + 2 : i + 1
            let contentStart = j
            while j < chars.count {
                if backslashEscapes && chars[j] == "\\" { j += 2; continue }
                if chars[j] == "'" {
                    if at(j + 1) == "'" { j += 2; continue }
                    break
                }
                j += 1
            }
            emit(.string, SQLLexer.unescaped(text(contentStart, j), "'"), from: i, to: j + 1)
        }

        mutating func quotedIdentifier() {
            var j = i + 1
            while j < chars.count {
                if chars[j] == "\"" {
                    if at(j + 1) == "\"" { j += 2; continue }
                    break
                }
                j += 1
            }
            emit(.quotedIdentifier, SQLLexer.unescaped(text(i + 1, j), "\""), from: i, to: j + 1)
        }

        /// `$tag$...$tag$`; unterminated, it runs to the end.
        mutating func dollarString(tagEnd: Int) {
            let tag = Array(chars[i...tagEnd])
            var j = tagEnd + 1, end = chars.count
            while j < chars.count {
                if chars[j] == "$" && j + tag.count <= chars.count && Array(chars[j..<(j + tag.count)]) == tag { end = j; break }
                j += 1
            }
            emit(.dollarString, text(tagEnd + 1, end), from: i, to: end + tag.count)
        }

        mutating func word() {
            var j = i + 1
            while j < chars.count && Self.isWordPart(chars[j]) { j += 1 }
            emit(.word, text(i, j), from: i, to: j)
        }

        mutating func number() {
            var j = i + 1
            while j < chars.count && (("0"..."9").contains(chars[j]) || chars[j] == ".") { j += 1 }
            emit(.number, text(i, j), from: i, to: j)
        }

        // ASCII answered without the Unicode property tables (the same answers).
        static func isWordStart(_ c: Unicode.Scalar) -> Bool {
            if c.isASCII { return ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_" }
            return c.properties.isAlphabetic
        }

        static func isWordPart(_ c: Unicode.Scalar) -> Bool { isWordStart(c) || ("0"..."9").contains(c) || c == "$" }

        static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
            if c.isASCII { return c == " " || ("\u{09}"..."\u{0D}").contains(c) }
            return c.properties.isWhitespace
        }
    }
}
