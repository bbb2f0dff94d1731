/// `ALTER COLUMN ... TYPE` on a plain column (an indexed one is `AlterIndexedColumnType`'s): a
/// warning for a widening, which CockroachDB does in place; an error for any other conversion
/// (Django's `USING col::t` for a change of kind), which CockroachDB cannot do online.
struct AlterColumnType: LintCheck {
    static let rule = LintRule(
        id: "alter-column-type", severity: .warning,
        summary: "ALTER COLUMN ... TYPE (CockroachDB changes a widening in place; any other conversion is a general type change it cannot do online)",
        fix: Self.fix, checksDownPart: false)

    /// The same rule for a conversion that is not a widening: an error.
    static let generalChange = LintRule(id: rule.id, severity: .error, summary: rule.summary, fix: Self.fix, checksDownPart: false)

    static let fix = "if the change only widens the type (e.g. VARCHAR(50) to VARCHAR(100)), mark it with -- lint: allow alter-column-type; "
        + "otherwise rewrite it by hand for CockroachDB: add a column of the new type, copy the values (in a makemigrations --empty migration "
        + "of their own if the table is large), drop the old column, rename the new one"

    /// What CockroachDB makes of a general type change, said in each finding about one.
    static let general = "a general type change on CockroachDB, not online: it needs SET enable_experimental_alter_column_type_general = true "
        + "(before v25.1) and cannot run inside an explicit transaction"

    mutating func check(_ s: LintStatement, _ context: inout LintContext) {
        guard let (table, actions) = s.alterTableActions else { return }
        let facts = context.schema.tables[table]
        for case .alterColumnType(let column, let newType) in actions {
            if facts?.primaryKey.contains(column) ?? false || facts?.indexed.contains(column) ?? false { continue }
            let change = "changes the type of \"\(table)\".\"\(column)\""
            guard let oldType = facts?.columns[column] else {
                context.report(Self.rule, "\(change) to \(newType)")
                continue
            }
            if oldType.widensInPlace(to: newType) {
                context.report(Self.rule, "\(change) from \(oldType) to \(newType)")
            } else {
                context.report(Self.generalChange, "\(change) from \(oldType) to \(newType): \(Self.general)")
            }
        }
    }
}
