/// `SERIAL` / `INT4` / `INTEGER` / `SMALLINT` for an id: a primary key, a column named `id` or
/// `*_id`, or a `REFERENCES` column.
struct Int32Id: LintCheck {
    static let rule = LintRule(
        id: "int32-id", severity: .error,
        summary: "SERIAL / INT4 / INTEGER / SMALLINT for an id (a primary key, a column named id or *_id, or a REFERENCES column)",
        fix: "use BIGSERIAL for a generated id and BIGINT for a column that refers to one: CockroachDB ids from unique_rowid() need 64 bits",
        checksDownPart: false)

    mutating func check(_ s: LintStatement, _ context: inout LintContext) {
        if let (table, elements) = LintSchema.createTable(s) {
            let isConstraint = { (element: ArraySlice<SQLToken>) in element.first?.keyword.map(LintSchema.tableConstraintStarts.contains) ?? false }
            var tablePrimaryKey: Set<String> = []
            for element in elements where isConstraint(element) && element.contains(where: { $0.keyword == "PRIMARY" }) {
                tablePrimaryKey.formUnion(LintSchema.parenthesizedNames(element))
            }
            for element in elements where !isConstraint(element) {
                if let column = LintSchema.columnDefinition(element) {
                    checkId(column, table: table, primaryKey: column.primaryKey || tablePrimaryKey.contains(column.name), &context)
                }
            }
        }
        guard let (table, actions) = s.alterTableActions else { return }
        let facts = context.schema.tables[table]
        for action in actions {
            switch action {
            case .addColumn(let column):
                checkId(column, table: table, primaryKey: column.primaryKey, &context)
            case .alterColumnType(let column, .integer(let bits, let serial)) where bits < 64:
                if LintStatement.isIdLike(column) || (facts?.primaryKey.contains(column) ?? false) {
                    context.report(Self.rule, "\"\(table)\".\"\(column)\" becomes \(LintSchema.ColumnType.integer(bits: bits, serial: serial)); ids need 64 bits")
                }
            default:
                break
            }
        }
    }

    private func checkId(_ column: LintSchema.ColumnDefinition, table: String, primaryKey: Bool, _ context: inout LintContext) {
        guard case .integer(let bits, let serial) = column.type, bits < 64 else { return }
        let why: String
        if serial { why = "\(column.type) makes ids of \(bits) bits" }
        else if primaryKey { why = "\(column.type) primary key" }
        else if column.references { why = "\(column.type), referring to another table's id" }
        else if LintStatement.isIdLike(column.name) { why = "\(column.type), named like an id" }
        else { return }
        context.report(Self.rule, "\"\(table)\".\"\(column.name)\": \(why); CockroachDB's unique_rowid() ids need 64 bits")
    }
}
