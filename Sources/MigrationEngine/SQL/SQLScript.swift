/// Where SQL statements end, for everything that splits SQL: the executor running a migration
/// statement by statement on CockroachDB (`statements(_:)`) and the linter (`LintStatement.split`).
/// Both cut after the lexer's `;` tokens (`statementTokens(_:)`), so they cannot disagree: a `;`
/// in a quoted string or identifier, a dollar-quoted body, a line comment or a nested block
/// comment ends nothing.
enum SQLScript {
    /// The tokens of each statement, each run ending with its `;` (the last may have none).
    static func statementTokens(_ tokens: [SQLToken]) -> [ArraySlice<SQLToken>] {
        var statements: [ArraySlice<SQLToken>] = []
        var start = 0
        for (i, token) in tokens.enumerated() where token.isSymbol(";") {
            statements.append(tokens[start...i])
            start = i + 1
        }
        if start < tokens.count { statements.append(tokens[start...]) }
        return statements
    }

    /// The text of each statement: from the end of the one before through its `;` (comments
    /// before it included), trimmed. Statements that hold only comments and whitespace are dropped.
    static func statements(_ sql: String) -> [String] {
        var result: [String] = []
        var start = sql.startIndex
        for statement in statementTokens(SQLLexer.tokens(sql)) {
            let end = statement.last.flatMap { $0.isSymbol(";") ? $0.range.upperBound : nil } ?? sql.endIndex
            let text = String(sql.unicodeScalars[start..<end]).trimmingWhitespace()
            if statement.contains(where: { $0.kind != .comment && !$0.isSymbol(";") }) && !text.isEmpty { result.append(text) }
            start = end
        }
        return result
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
