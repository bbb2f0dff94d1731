/// `ALTER COLUMN ... TYPE` on a plain column (an indexed one is `AlterIndexedColumnType`'s).
struct AlterColumnType: LintCheck {
    static let rule = LintRule(
        id: "alter-column-type", severity: .warning,
        summary: "ALTER COLUMN ... TYPE (CockroachDB supports only some type changes in place; others rewrite the table)",
        fix: "prefer add column / copy / drop column; if the change only widens the type (e.g. VARCHAR(50) to VARCHAR(100)), mark it with -- lint: allow alter-column-type",
        checksDownPart: false)

    mutating func check(_ s: LintStatement, _ context: inout LintContext) {
        guard let (table, actions) = s.alterTableActions else { return }
        let facts = context.schema.tables[table]
        for case .alterColumnType(let column, let newType) in actions {
            if facts?.primaryKey.contains(column) ?? false || facts?.indexed.contains(column) ?? false { continue }
            let oldType = facts?.columns[column]
            context.report(Self.rule, "changes the type of \"\(table)\".\"\(column)\"\(oldType.map { " from \($0)" } ?? "") to \(newType)")
        }
    }
}
