/// `ALTER COLUMN ... TYPE` on a column that is indexed, unique, a primary key or a foreign key
/// (as the migrations before the statement made it). CockroachDB refuses a general type change
/// (any conversion but a widening, `LintSchema.ColumnType.widensInPlace`) on such a column
/// outright, and PostgreSQL rebuilds its indexes under an exclusive lock.
struct AlterIndexedColumnType: LintCheck {
    static let rule = LintRule(
        id: "alter-indexed-column-type", severity: .error,
        summary: "ALTER COLUMN ... TYPE on a column that is indexed, unique, a primary key or a foreign key",
        fix: "CockroachDB refuses a conversion (any type change but a widening) on an indexed column; rewrite it by hand: "
            + "add a new column of the new type, copy the data (in a later makemigrations --empty migration), move the index/constraint to it, "
            + "then drop the old column",
        checksDownPart: false)

    mutating func check(_ s: LintStatement, _ context: inout LintContext) {
        guard let (table, actions) = s.alterTableActions else { return }
        let facts = context.schema.tables[table]
        for case .alterColumnType(let column, let newType) in actions {
            if facts?.primaryKey.contains(column) ?? false {
                context.report(Self.rule, "changes the type of \"\(table)\".\"\(column)\", its primary key, to \(newType)")
            } else if facts?.indexed.contains(column) ?? false {
                context.report(Self.rule, "changes the type of \"\(table)\".\"\(column)\", which is indexed or a key, to \(newType)")
            }
        }
    }
}
