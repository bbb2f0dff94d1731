/// Splits SQL text into statements at top-level semicolons, for servers where a migration runs
/// statement by statement (CockroachDB). Knows quoted strings (`'...'`, `E'...'`), quoted
/// identifiers, dollar quoting (`$tag$...$tag$`), line comments and nested block comments.
/// Statements that hold only comments and whitespace are dropped.
enum SQLScript {
    static func statements(_ sql: String) -> [String] {
        let chars = Array(sql.unicodeScalars)
        var result: [String] = []
        var start = 0, i = 0
        var hasCode = false
        func flush(_ end: Int) {
            let text = String(String.UnicodeScalarView(chars[start..<end])).trimmingWhitespace()
            if hasCode && !text.isEmpty { result.append(text) }
            start = end
            hasCode = false
        }
        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            if c == "-" && next == "-" {
                while i < chars.count && chars[i] != "\n" { i += 1 }
                continue
            }
            if c == "/" && next == "*" {
                var depth = 1
                i += 2
                while i < chars.count && depth > 0 {
                    if chars[i] == "/" && i + 1 < chars.count && chars[i + 1] == "*" { depth += 1; i += 2 }
                    else if chars[i] == "*" && i + 1 < chars.count && chars[i + 1] == "/" { depth -= 1; i += 2 }
                    else { i += 1 }
                }
                continue
            }
            if c == "'" || c == "\"" {
                hasCode = true
                let backslashEscapes = c == "'" && i > 0 && (chars[i - 1] == "E" || chars[i - 1] == "e")
                i += 1
                while i < chars.count {
                    if backslashEscapes && chars[i] == "\\" { i += 2; continue }
                    if chars[i] == c {
                        if i + 1 < chars.count && chars[i + 1] == c { i += 2; continue }
                        break
                    }
                    i += 1
                }
                i += 1
                continue
            }
            if c == "$", let tagEnd = dollarTagEnd(chars, i) {
                hasCode = true
                let tag = Array(chars[i...tagEnd])
                i = tagEnd + 1
                while i < chars.count {
                    if chars[i] == "$" && i + tag.count <= chars.count && Array(chars[i..<(i + tag.count)]) == tag {
                        i += tag.count
                        break
                    }
                    i += 1
                }
                continue
            }
            if c == ";" {
                flush(i + 1)
                i += 1
                continue
            }
            if !c.properties.isWhitespace { hasCode = true }
            i += 1
        }
        flush(chars.count)
        return result
    }

    /// The index of the closing `$` of a dollar-quote tag starting at `i`, if one starts there.
    /// (The linter's lexer uses it too.)
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
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
