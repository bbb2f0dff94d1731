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

    /// Reads a comment: a `-- lint: allow ...` directive adds the rules it names to `allowed`;
    /// one that cannot be read goes to `badDirectives`; any other comment is ignored.
    mutating func apply(_ comment: SQLToken) {
        let text = comment.text.trimmingWhitespace()
        guard text.lowercased().hasPrefix(Self.directivePrefix) else { return }
        let rest = String(text.dropFirst(Self.directivePrefix.count)).trimmingWhitespace()
        guard rest.lowercased().hasPrefix("allow ") else {
            badDirectives.append((comment.line, text))
            return
        }
        for id in rest.dropFirst("allow ".count).split(whereSeparator: { $0 == "," || $0 == " " }) where !id.isEmpty {
            if LintRule.named(String(id)) != nil { allowed.insert(String(id)) }
            else { badDirectives.append((comment.line, text)) }
        }
    }

    /// Splits tokens into statements where `SQLScript` does. Comments before a statement belong
    /// to it, except one on the same line as the previous statement's `;`, which belongs to that
    /// statement.
    static func split(_ tokens: [SQLToken]) -> [LintStatement] {
        var statements: [LintStatement] = []
        var pendingComments: [SQLToken] = []
        var lastSemicolonLine: Int?
        for run in SQLScript.statementTokens(tokens) {
            var current = LintStatement(tokens: [], line: 0, allowed: [])
            for token in run {
                if token.kind == .comment {
                    if current.tokens.isEmpty, let lastLine = lastSemicolonLine, token.line == lastLine, !statements.isEmpty {
                        statements[statements.count - 1].apply(token)
                    } else if !current.tokens.isEmpty {
                        current.apply(token)
                    } else {
                        pendingComments.append(token)
                    }
                } else if token.isSymbol(";") {
                    lastSemicolonLine = token.line
                } else {
                    if current.tokens.isEmpty {
                        current.line = token.line
                        for comment in pendingComments { current.apply(comment) }
                        pendingComments = []
                    }
                    current.tokens.append(token)
                }
            }
            if !current.tokens.isEmpty { statements.append(current) }
        }
        return statements
    }
}
