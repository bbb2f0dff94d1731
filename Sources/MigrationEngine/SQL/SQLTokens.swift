import Database

/// A token of SQL text, for the linter: enough lexing to tell keywords from names, strings and
/// comments, with the line each starts on.
struct SQLToken: Equatable {
    enum Kind: Equatable {
        /// A keyword or unquoted name; `text` is as written.
        case word
        /// `"name"`; `text` is the name without quotes.
        case quotedIdentifier
        /// `'...'` or `E'...'`; `text` is the content.
        case string
        /// `$tag$...$tag$`; `text` is the content.
        case dollarString
        case number
        /// One character of punctuation: `( ) , ; . = ::` ...
        case symbol
        /// `-- ...` (text after the dashes) or `/* ... */` (text inside).
        case comment
    }

    var kind: Kind
    var text: String
    var line: Int

    /// The keyword spelling: upper case for words, nil for anything else.
    var keyword: String? { kind == .word ? text.uppercased() : nil }

    /// The name it stands for: unquoted words fold to lower case, quoted ones are exact.
    var name: String? {
        switch kind {
        case .word: return text.lowercased()
        case .quotedIdentifier: return text
        default: return nil
        }
    }

    func isSymbol(_ s: String) -> Bool { kind == .symbol && text == s }
    func isKeyword(_ k: String) -> Bool { kind == .word && text.uppercased() == k }
}

enum SQLLexer {
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

    /// The tokens of `sql`, whose first line is line `firstLine` of its file.
    static func tokens(_ sql: String, firstLine: Int = 1) -> [SQLToken] {
        let chars = Array(sql.unicodeScalars)
        var tokens: [SQLToken] = []
        var i = 0, line = firstLine
        // Where each scalar starts in `sql`, so a token's text is one copy of its bytes.
        let offsets = Array(sql.unicodeScalars.indices) + [sql.endIndex]
        func text(_ from: Int, _ to: Int) -> String { String(sql.unicodeScalars[offsets[from]..<offsets[min(to, chars.count)]]) }
        func advance(to end: Int) {
            while i < end && i < chars.count { if chars[i] == "\n" { line += 1 }; i += 1 }
        }
        // ASCII answered without the Unicode property tables (the same answers).
        func isWordStart(_ c: Unicode.Scalar) -> Bool {
            if c.isASCII { return ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_" }
            return c.properties.isAlphabetic
        }
        func isWordPart(_ c: Unicode.Scalar) -> Bool { isWordStart(c) || ("0"..."9").contains(c) || c == "$" }
        func isWhitespace(_ c: Unicode.Scalar) -> Bool {
            if c.isASCII { return c == " " || ("\u{09}"..."\u{0D}").contains(c) }
            return c.properties.isWhitespace
        }
        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            let startLine = line
            if isWhitespace(c) { advance(to: i + 1); continue }
            if c == "-" && next == "-" {
                var j = i + 2
                while j < chars.count && chars[j] != "\n" { j += 1 }
                tokens.append(SQLToken(kind: .comment, text: text(i + 2, j), line: startLine))
                advance(to: j)
                continue
            }
            if c == "/" && next == "*" {
                var depth = 1, j = i + 2
                while j < chars.count && depth > 0 {
                    if chars[j] == "/" && j + 1 < chars.count && chars[j + 1] == "*" { depth += 1; j += 2 }
                    else if chars[j] == "*" && j + 1 < chars.count && chars[j + 1] == "/" { depth -= 1; j += 2 }
                    else { j += 1 }
                }
                tokens.append(SQLToken(kind: .comment, text: text(i + 2, max(i + 2, j - 2)), line: startLine))
                advance(to: j)
                continue
            }
            if c == "'" || ((c == "E" || c == "e") && next == "'") {
                let backslashes = c != "'"
                var j = c == "'" ? i + 1 : i + 2
                let contentStart = j
                while j < chars.count {
                    if backslashes && chars[j] == "\\" { j += 2; continue }
                    if chars[j] == "'" {
                        if j + 1 < chars.count && chars[j + 1] == "'" { j += 2; continue }
                        break
                    }
                    j += 1
                }
                tokens.append(SQLToken(kind: .string, text: unescaped(text(contentStart, j), "'"), line: startLine))
                advance(to: j + 1)
                continue
            }
            if c == "\"" {
                var j = i + 1
                while j < chars.count {
                    if chars[j] == "\"" {
                        if j + 1 < chars.count && chars[j + 1] == "\"" { j += 2; continue }
                        break
                    }
                    j += 1
                }
                tokens.append(SQLToken(kind: .quotedIdentifier, text: unescaped(text(i + 1, j), "\""), line: startLine))
                advance(to: j + 1)
                continue
            }
            if c == "$", let tagEnd = SQLScript.dollarTagEnd(chars, i) {
                let tag = Array(chars[i...tagEnd])
                var j = tagEnd + 1
                var end = chars.count
                while j < chars.count {
                    if chars[j] == "$" && j + tag.count <= chars.count && Array(chars[j..<(j + tag.count)]) == tag { end = j; break }
                    j += 1
                }
                tokens.append(SQLToken(kind: .dollarString, text: text(tagEnd + 1, end), line: startLine))
                advance(to: min(chars.count, end + tag.count))
                continue
            }
            if isWordStart(c) {
                var j = i + 1
                while j < chars.count && isWordPart(chars[j]) { j += 1 }
                tokens.append(SQLToken(kind: .word, text: text(i, j), line: startLine))
                advance(to: j)
                continue
            }
            if ("0"..."9").contains(c) {
                var j = i + 1
                while j < chars.count && (("0"..."9").contains(chars[j]) || chars[j] == ".") { j += 1 }
                tokens.append(SQLToken(kind: .number, text: text(i, j), line: startLine))
                advance(to: j)
                continue
            }
            if c == ":" && next == ":" {
                tokens.append(SQLToken(kind: .symbol, text: "::", line: startLine))
                advance(to: i + 2)
                continue
            }
            tokens.append(SQLToken(kind: .symbol, text: String(c), line: startLine))
            advance(to: i + 1)
        }
        return tokens
    }
}

/// A statement as the linter sees it: its code tokens (no comments), the line it starts on, and
/// the rules its `-- lint: allow` comments silence.
struct LintStatement {
    var tokens: [SQLToken]
    var line: Int
    var allowed: Set<String>
    /// Directive comments that could not be read (reported by the `lint-directive` rule).
    var badDirectives: [(line: Int, text: String)] = []

    /// The upper-case keywords in order (other tokens as nil), for sequence matching.
    var keywords: [String?] { tokens.map(\.keyword) }

    /// The first words, on one line, at most about 60 characters.
    var preview: String {
        var out = ""
        for token in tokens {
            let piece: String
            switch token.kind {
            case .quotedIdentifier: piece = "\"\(token.text)\""
            case .string: piece = "'\(token.text.prefix(20))'"
            case .dollarString: piece = "$$...$$"
            default: piece = token.text
            }
            let glue = out.isEmpty || token.isSymbol(",") || token.isSymbol(")") || token.isSymbol(";") || out.hasSuffix("(") ? "" : " "
            if out.count + glue.count + piece.count > 60 { return out + " ..." }
            out += glue + piece
        }
        return out
    }

    /// The index where `sequence` of keywords starts, searching from `from`.
    func find(_ sequence: [String], from: Int = 0) -> Int? {
        guard !sequence.isEmpty, tokens.count >= sequence.count, from <= tokens.count - sequence.count else { return nil }
        for start in from...(tokens.count - sequence.count) {
            if sequence.indices.allSatisfy({ tokens[start + $0].keyword == sequence[$0] }) { return start }
        }
        return nil
    }

    func starts(with sequence: [String]) -> Bool { find(sequence) == 0 }

    /// The directive prefix in a comment: `-- lint: allow rule-a, rule-b`.
    static let directivePrefix = "lint:"

    /// Splits tokens into statements at `;`. Comments before a statement belong to it, except one
    /// on the same line as the previous statement's `;`, which belongs to that statement.
    static func split(_ tokens: [SQLToken]) -> [LintStatement] {
        var statements: [LintStatement] = []
        var current = LintStatement(tokens: [], line: 0, allowed: [])
        var pendingComments: [SQLToken] = []
        var lastSemicolonLine: Int?
        func apply(_ comment: SQLToken, to statement: inout LintStatement) {
            let text = comment.text.trimmingWhitespace()
            guard text.lowercased().hasPrefix(directivePrefix) else { return }
            let rest = String(text.dropFirst(directivePrefix.count)).trimmingWhitespace()
            guard rest.lowercased().hasPrefix("allow ") else {
                statement.badDirectives.append((comment.line, text))
                return
            }
            for id in rest.dropFirst("allow ".count).split(whereSeparator: { $0 == "," || $0 == " " }) where !id.isEmpty {
                if LintRule.named(String(id)) != nil { statement.allowed.insert(String(id)) }
                else { statement.badDirectives.append((comment.line, text)) }
            }
        }
        for token in tokens {
            if token.kind == .comment {
                if current.tokens.isEmpty, let lastLine = lastSemicolonLine, token.line == lastLine, !statements.isEmpty {
                    apply(token, to: &statements[statements.count - 1])
                } else if !current.tokens.isEmpty {
                    apply(token, to: &current)
                } else {
                    pendingComments.append(token)
                }
                continue
            }
            if token.isSymbol(";") {
                if !current.tokens.isEmpty { statements.append(current) }
                current = LintStatement(tokens: [], line: 0, allowed: [])
                lastSemicolonLine = token.line
                continue
            }
            if current.tokens.isEmpty {
                current.line = token.line
                for comment in pendingComments { apply(comment, to: &current) }
                pendingComments = []
            }
            current.tokens.append(token)
        }
        if !current.tokens.isEmpty { statements.append(current) }
        return statements
    }
}
