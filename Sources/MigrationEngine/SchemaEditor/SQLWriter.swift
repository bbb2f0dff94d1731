import Database

/// The SQL dialect, in one place: identifier quoting, literals and statement text (the column
/// types are the field kinds', in Fields/).
///
/// Everything written here runs on both CockroachDB and PostgreSQL 15: the field kinds' column
/// types, no `DEFERRABLE`, no `CONCURRENTLY`, one schema change per statement, named constraints (CHECKs included) and indexes
/// (so later migrations can drop and rename them without asking the database), and unique
/// indexes dropped with `DROP INDEX ... CASCADE`, the form both accept.
public enum SQLWriter {
    /// A double-quoted identifier, quotes doubled: `"my""table"`.
    public static func quote(_ identifier: String) -> String {
        // The replace only when there is a quote to double (names seldom have one).
        guard identifier.unicodeScalars.contains("\"") else { return "\"" + identifier + "\"" }
        return "\"" + identifier.replacingBytes("\"", with: "\"\"") + "\""
    }

    /// A single-quoted string literal, quotes doubled (standard_conforming_strings, the default
    /// on both servers). Only for DDL, where the servers take no parameters (column defaults).
    public static func literal(_ text: String) -> String {
        guard text.unicodeScalars.contains("'") else { return "'" + text + "'" }
        return "'" + text.replacingBytes("'", with: "''") + "'"
    }

    /// Letters, digits and underscores, not starting with a digit: the names the engine accepts
    /// for apps, models, fields, tables and indexes.
    public static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !name.isEmpty else { return false }
        let ok = name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "_" }
        return ok && !("0"..."9").contains(first)
    }

    static func columnDefinition(_ column: TableLayout.Column) -> String {
        var sql = "\(quote(column.name)) \(column.type.sql) \(column.null ? "NULL" : "NOT NULL")"
        if let value = column.defaultSQL { sql += " DEFAULT \(value)" }
        if column.primaryKey { sql += " PRIMARY KEY" }
        if let check = column.check { sql += " CONSTRAINT \(quote(check.name)) CHECK (\(check.condition(column: column.name)))" }
        return sql
    }

    static func createTable(_ table: TableLayout.Table, layout: TableLayout) -> [String] {
        var lines = table.columns.map(columnDefinition)
        for fk in table.foreignKeys {
            lines.append(foreignKeyClause(fk, in: table, layout: layout))
        }
        for unique in table.uniqueConstraints {
            let columns = unique.columns.map { id in quote(table.column(id)?.name ?? id) }.joined(separator: ", ")
            lines.append("CONSTRAINT \(quote(unique.name)) UNIQUE (\(columns))")
        }
        for check in table.checks { lines.append("CONSTRAINT \(quote(check.name)) CHECK (\(check.condition))") }
        var statements = ["CREATE TABLE \(quote(table.name)) (\n    " + lines.joined(separator: ",\n    ") + "\n);"]
        // After the table, as Django writes them on PostgreSQL (no inline comments there).
        if let comment = table.comment { statements.append(commentOnTable(table.name, comment)) }
        statements += table.columns.compactMap { column in column.comment.map { commentOnColumn(table.name, column.name, $0) } }
        statements += table.indexes.map { createIndex($0, on: table) }
        return statements
    }

    static func foreignKeyClause(_ fk: TableLayout.ForeignKeyConstraint, in table: TableLayout.Table, layout: TableLayout) -> String {
        let column = table.column(fk.column)?.name ?? fk.column
        let target = layout.tables[fk.target]
        let targetTable = target?.name ?? (fk.targetTable.isEmpty ? fk.target.model : fk.targetTable)
        let targetColumn = target?.column(fk.targetColumn)?.name ?? fk.targetColumn
        return "CONSTRAINT \(quote(fk.name)) FOREIGN KEY (\(quote(column))) REFERENCES \(quote(targetTable)) (\(quote(targetColumn))) ON DELETE \(fk.onDelete.sql)"
    }

    static func dropTable(_ name: String) -> String { "DROP TABLE \(quote(name));" }

    static func renameTable(_ old: String, _ new: String) -> String { "ALTER TABLE \(quote(old)) RENAME TO \(quote(new));" }

    /// `oneOffDefault` (SQL) fills the existing rows and is dropped at once, unless the column
    /// has a default of its own.
    static func addColumn(_ table: String, _ column: TableLayout.Column, oneOffDefault: String? = nil) -> [String] {
        var definition = column
        if let oneOffDefault, column.defaultSQL == nil { definition.defaultSQL = oneOffDefault }
        var statements = ["ALTER TABLE \(quote(table)) ADD COLUMN \(columnDefinition(definition));"]
        if oneOffDefault != nil, column.defaultSQL == nil {
            statements.append("ALTER TABLE \(quote(table)) ALTER COLUMN \(quote(column.name)) DROP DEFAULT;")
        }
        if let comment = column.comment { statements.append(commentOnColumn(table, column.name, comment)) }
        return statements
    }

    /// `COMMENT ON TABLE`; a nil comment removes it.
    static func commentOnTable(_ table: String, _ comment: String?) -> String {
        "COMMENT ON TABLE \(quote(table)) IS \(comment.map(literal) ?? "NULL");"
    }

    static func addTableCheck(_ table: String, _ check: TableLayout.TableCheck) -> String {
        "ALTER TABLE \(quote(table)) ADD CONSTRAINT \(quote(check.name)) CHECK (\(check.condition));"
    }

    /// `COMMENT ON COLUMN`; a nil comment removes it.
    static func commentOnColumn(_ table: String, _ column: String, _ comment: String?) -> String {
        "COMMENT ON COLUMN \(quote(table)).\(quote(column)) IS \(comment.map(literal) ?? "NULL");"
    }

    static func dropColumn(_ table: String, _ column: String) -> String {
        "ALTER TABLE \(quote(table)) DROP COLUMN \(quote(column));"
    }

    static func renameColumn(_ table: String, _ old: String, _ new: String) -> String {
        "ALTER TABLE \(quote(table)) RENAME COLUMN \(quote(old)) TO \(quote(new));"
    }

    /// `ALTER COLUMN ... TYPE t`; with `cast`, Django's conversion to another kind, `... USING col::t`.
    static func alterType(_ table: String, _ column: String, _ type: ColumnType, cast: Bool = false) -> String {
        let using = cast ? " USING \(quote(column))::\(type.sql)" : ""
        return "ALTER TABLE \(quote(table)) ALTER COLUMN \(quote(column)) TYPE \(type.sql)\(using);"
    }

    static func setNull(_ table: String, _ column: String, _ null: Bool) -> String {
        "ALTER TABLE \(quote(table)) ALTER COLUMN \(quote(column)) \(null ? "DROP NOT NULL" : "SET NOT NULL");"
    }

    static func setDefault(_ table: String, _ column: String, _ value: String?) -> String {
        if let value { return "ALTER TABLE \(quote(table)) ALTER COLUMN \(quote(column)) SET DEFAULT \(value);" }
        return "ALTER TABLE \(quote(table)) ALTER COLUMN \(quote(column)) DROP DEFAULT;"
    }

    static func fillNulls(_ table: String, _ column: String) -> String {
        "UPDATE \(quote(table)) SET \(quote(column)) = DEFAULT WHERE \(quote(column)) IS NULL;"
    }

    /// Django's `UPDATE ... SET col = <default> WHERE col IS NULL`, before a SET NOT NULL.
    static func fillNulls(_ table: String, _ column: String, with value: String) -> String {
        "UPDATE \(quote(table)) SET \(quote(column)) = \(value) WHERE \(quote(column)) IS NULL;"
    }

    /// The SET NOT NULL that follows `fillNulls(_:_:with:)`. On CockroachDB `migrate` runs a
    /// migration statement by statement, so the UPDATE commits before this schema change
    /// starts; on PostgreSQL both run in the migration's one transaction, which it allows. The
    /// comment says so to the linter's `ddl-after-write`.
    static func setNotNullAfterFill(_ table: String, _ column: String) -> String {
        """
        -- The UPDATE above commits on its own on CockroachDB, where migrate runs statement by statement.
        -- lint: allow ddl-after-write
        \(setNull(table, column, false))
        """
    }

    static func copyColumn(_ table: String, from: String, to: String, type: ColumnType) -> String {
        "UPDATE \(quote(table)) SET \(quote(to)) = CAST(\(quote(from)) AS \(type.sql));"
    }

    static func addForeignKey(_ fk: TableLayout.ForeignKeyConstraint, in table: TableLayout.Table, layout: TableLayout) -> String {
        "ALTER TABLE \(quote(table.name)) ADD \(foreignKeyClause(fk, in: table, layout: layout));"
    }

    static func addCheck(_ table: String, _ check: TableLayout.Check, column: String) -> String {
        "ALTER TABLE \(quote(table)) ADD CONSTRAINT \(quote(check.name)) CHECK (\(check.condition(column: column)));"
    }

    static func dropConstraint(_ table: String, _ name: String) -> String {
        "ALTER TABLE \(quote(table)) DROP CONSTRAINT \(quote(name));"
    }

    static func renameConstraint(_ table: String, _ old: String, _ new: String) -> String {
        "ALTER TABLE \(quote(table)) RENAME CONSTRAINT \(quote(old)) TO \(quote(new));"
    }

    static func createIndex(_ index: TableLayout.IndexDefinition, on table: TableLayout.Table) -> String {
        let name = { (id: String) in quote(table.column(id)?.name ?? id) }
        let columns = (index.columns.map { id in name(id) + (index.descending.contains(id) ? " DESC" : "") }
            + index.expressions.map { $0.sql(column: table.column($0.field)?.name ?? $0.field) + ($0.descending ? " DESC" : "") })
            .joined(separator: ", ")
        let method = index.method.map { " USING \($0)" } ?? ""
        let include = index.include.isEmpty ? "" : " INCLUDE (\(index.include.map(name).joined(separator: ", ")))"
        let condition = index.condition.map { " WHERE \($0)" } ?? ""
        return "CREATE \(index.unique ? "UNIQUE " : "")INDEX \(quote(index.name)) ON \(quote(table.name))\(method) (\(columns))\(include)\(condition);"
    }

    static func dropIndex(_ index: TableLayout.IndexDefinition) -> String {
        "DROP INDEX \(quote(index.name))\(index.unique ? " CASCADE" : "");"
    }

    static func renameIndex(_ old: String, _ new: String) -> String {
        "ALTER INDEX \(quote(old)) RENAME TO \(quote(new));"
    }
}
