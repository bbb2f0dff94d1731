/// A B-tree index, unique constraint or primary key on a `JSONB` column, which CockroachDB before
/// v23.2 refuses ("column ... is of type jsonb and thus is not indexable"): JSONB takes an
/// inverted index there (`USING GIN`, which PostgreSQL accepts too).
struct JSONBIndex: LintCheck {
    static let rule = LintRule(
        id: "jsonb-btree-index", severity: .error,
        summary: "a B-tree index, UNIQUE or PRIMARY KEY on a JSONB column (CockroachDB before v23.2 cannot key a B-tree on JSONB)",
        fix: "index it USING GIN (an inverted index on CockroachDB, accepted by PostgreSQL), or index an expression such as (data->>'key')",
        checksDownPart: true)

    mutating func check(_ s: LintStatement, _ context: inout LintContext) {
        if s.verb == "CREATE", let indexAt = s.find(["INDEX"]), indexAt <= 2, let onAt = s.find(["ON"], from: indexAt) {
            if s.keywords.contains("INVERTED") { return }
            if let using = s.find(["USING"], from: onAt), using + 1 < s.tokens.count,
               let method = s.tokens[using + 1].keyword, method != "BTREE" { return }
            var i = onAt + 1
            if s.tokens.count > i, s.tokens[i].keyword == "ONLY" { i += 1 }
            guard let (table, after) = LintSchema.qualifiedName(s.tokens, at: i) else { return }
            // Key columns given by name only: an expression over the JSONB column is fine.
            for column in Self.keyColumns(s.tokens[after...]) where Self.isJSONB(context.schema.tables[table]?.columns[column]) {
                context.report(Self.rule, "B-tree index on \"\(table)\".\"\(column)\", a JSONB column")
            }
            return
        }
        var definitions: [(table: String, column: LintSchema.ColumnDefinition)] = []
        if let (table, elements) = LintSchema.createTable(s) {
            definitions = elements.compactMap { element in
                element.first?.keyword.map(LintSchema.tableConstraintStarts.contains) == true ? nil : LintSchema.columnDefinition(element).map { (table, $0) }
            }
        } else if let (table, actions) = s.alterTableActions {
            for case .addColumn(let column) in actions { definitions.append((table, column)) }
        }
        for (table, column) in definitions where Self.isJSONB(column.type) && (column.unique || column.primaryKey) {
            context.report(Self.rule, "\"\(table)\".\"\(column.name)\" is JSONB and \(column.primaryKey ? "the primary key" : "UNIQUE")")
        }
    }

    /// The key elements of the first `( ... )` that are a bare column (with ASC/DESC/NULLS ...);
    /// expressions are left out.
    static func keyColumns(_ tokens: ArraySlice<SQLToken>) -> [String] {
        guard let open = tokens.firstIndex(where: { $0.isSymbol("(") }) else { return [] }
        var depth = 0, element: [SQLToken] = [], columns: [String] = []
        func finish() {
            let orderWords: Set<String> = ["ASC", "DESC", "NULLS", "FIRST", "LAST"]
            if let first = element.first, first.name != nil, !first.isSymbol("("),
               element.dropFirst().allSatisfy({ $0.keyword.map(orderWords.contains) ?? false }), let name = first.name {
                columns.append(name)
            }
            element = []
        }
        for t in tokens[open...] {
            if t.isSymbol("(") { depth += 1; if depth == 1 { continue } }
            if t.isSymbol(")") { depth -= 1; if depth == 0 { finish(); break } }
            if depth == 1 && t.isSymbol(",") { finish(); continue }
            element.append(t)
        }
        return columns
    }

    static func isJSONB(_ type: LintSchema.ColumnType?) -> Bool {
        if case .other(let name)? = type { return name == "JSONB" || name == "JSON" }
        return false
    }
}
