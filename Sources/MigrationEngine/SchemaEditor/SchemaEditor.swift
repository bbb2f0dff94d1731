/// Turns one state into another in SQL: compares the table layouts before and after an
/// operation (`TableLayout`) and writes the statements, in an order both servers accept:
///
/// 1. drop foreign keys and indexes that go or change,
/// 2. drop tables (those that reference others first),
/// 3. rename tables, columns, constraints and indexes,
/// 4. create tables (referenced ones first), each with its indexes,
/// 5. add, alter and drop columns,
/// 6. add foreign keys and create indexes.
///
/// A column type change that only widens (`ColumnType.widensInPlace`: a longer `VARCHAR`,
/// `VARCHAR` to `TEXT`, `INTEGER` to `BIGINT`) is a plain `ALTER COLUMN ... TYPE`, which both
/// servers run in place. Any other change of kind is Django's conversion, `ALTER COLUMN ... TYPE
/// t USING col::t` (its reverse converts back; within one family, a narrower `VARCHAR` or
/// another `DECIMAL` precision, Django leaves the USING out), with what the column needs around
/// it: across families a default is dropped before and set after (PostgreSQL converts a default
/// by an assignment cast only, which a USING does not give), a CHECK that changes is dropped
/// before and added after, and the column's foreign keys and indexes are dropped before and
/// created after (an index expression may not apply to the new type, and CockroachDB refuses a
/// general type change on an indexed column). On CockroachDB the conversion is a "general" type change, which
/// `manage lint` flags with what to write instead. To or from an auto id (`SERIAL`, a column, a
/// sequence and a default) the column is still added, copied, dropped and renamed.
struct SchemaEditor {
    /// A new NOT NULL column's one-off value for existing rows, as SQL, by table and column identity.
    typealias OneOffDefaults = [TableLayout.TableID: [String: String]]

    /// The statements of each phase, gathered table by table.
    private var dropConstraints: [String] = [], dropIndexes: [String] = [], renames: [String] = []
    private var columnChanges: [String] = [], addConstraints: [String] = [], createIndexes: [String] = []
    private var droppedTables: [TableLayout.Table] = [], createdTables: [TableLayout.Table] = []

    static func statements(from before: TableLayout, to after: TableLayout, renames: Renames = Renames(),
                           oneOffDefaults: OneOffDefaults = [:]) -> [String] {
        let old = before.renamed(renames)
        var editor = SchemaEditor()
        for id in Set(old.tables.keys).union(after.tables.keys).sorted() {
            // An unmanaged table, on either side, is not this project's to change (Django writes
            // no SQL for an unmanaged model, nor for turning `managed` on or off).
            if old.tables[id]?.managed == false || after.tables[id]?.managed == false { continue }
            switch (old.tables[id], after.tables[id]) {
            case (let o?, nil): editor.droppedTables.append(o)
            case (nil, let n?): editor.createdTables.append(n)
            case (let o?, let n?): editor.alterTable(o, into: n, layout: after, oneOffDefaults: oneOffDefaults[id] ?? [:])
            case (nil, nil): break
            }
        }
        var statements = editor.dropConstraints + editor.dropIndexes
        statements += ordered(editor.droppedTables, referencedFirst: false).map { SQLWriter.dropTable($0.name) }
        statements += editor.renames
        for table in ordered(editor.createdTables, referencedFirst: true) { statements += SQLWriter.createTable(table, layout: after) }
        return statements + editor.columnChanges + editor.addConstraints + editor.createIndexes
    }

    /// A table on both sides: its name, columns, foreign keys, unique constraints and indexes.
    private mutating func alterTable(_ o: TableLayout.Table, into n: TableLayout.Table, layout: TableLayout, oneOffDefaults: [String: String]) {
        if o.name != n.name { renames.append(SQLWriter.renameTable(o.name, n.name)) }
        var retyped = Set<String>()
        for column in n.columns {
            guard let was = o.column(column.id) else {
                columnChanges += SQLWriter.addColumn(n.name, column, oneOffDefault: oneOffDefaults[column.id])
                continue
            }
            if alterColumn(was, into: column, table: n.name, oldTable: o.name, oneOffDefault: oneOffDefaults[column.id]) {
                retyped.insert(column.id)
            }
        }
        for column in o.columns where n.column(column.id) == nil {
            columnChanges.append(SQLWriter.dropColumn(n.name, column.name))
        }
        alterForeignKeys(o, into: n, layout: layout, retyped: retyped)
        for unique in n.uniqueConstraints {
            if let was = o.uniqueConstraints.first(where: { $0.id == unique.id }), was.name != unique.name {
                renames.append(SQLWriter.renameConstraint(n.name, was.name, unique.name))
            }
        }
        alterIndexes(o, into: n, retyped: retyped)
        for check in o.checks where !n.checks.contains(check) {
            dropConstraints.append(SQLWriter.dropConstraint(o.name, check.name))
        }
        for check in n.checks where !o.checks.contains(check) {
            addConstraints.append(SQLWriter.addTableCheck(n.name, check))
        }
        if o.comment != n.comment { columnChanges.append(SQLWriter.commentOnTable(n.name, n.comment)) }
    }

    /// A column on both sides; true when its type was converted or it was rebuilt (any type
    /// change but a widening), which its foreign keys and indexes must follow.
    /// `oneOffDefault` (SQL) fills the existing NULLs of a column that turns NOT NULL.
    private mutating func alterColumn(_ was: TableLayout.Column, into column: TableLayout.Column, table: String, oldTable: String,
                                      oneOffDefault: String? = nil) -> Bool {
        if was.name != column.name { renames.append(SQLWriter.renameColumn(table, was.name, column.name)) }
        var current = was, retyped = false
        if was.type != column.type {
            if was.type.widensInPlace(to: column.type) {
                columnChanges.append(SQLWriter.alterType(table, column.name, column.type))
            } else if was.type.isSerial || column.type.isSerial {
                rebuild(&current, into: column, table: table)
                retyped = true
            } else {
                let cast = was.type.family != column.type.family
                if cast, current.defaultSQL != nil {
                    columnChanges.append(SQLWriter.setDefault(table, column.name, nil))
                    current.defaultSQL = nil
                }
                columnChanges.append(SQLWriter.alterType(table, column.name, column.type, cast: cast))
                retyped = true
            }
        }
        alterCheck(current.check, into: column.check, table: table, oldTable: oldTable, column: column.name)
        if current.defaultSQL != column.defaultSQL {
            columnChanges.append(SQLWriter.setDefault(table, column.name, column.defaultSQL))
        }
        if current.comment != column.comment {
            columnChanges.append(SQLWriter.commentOnColumn(table, column.name, column.comment))
        }
        if current.null != column.null {
            if !column.null && column.defaultSQL != nil { columnChanges.append(SQLWriter.fillNulls(table, column.name)) }
            if !column.null, column.defaultSQL == nil, let oneOffDefault {
                columnChanges.append(SQLWriter.fillNulls(table, column.name, with: oneOffDefault))
                columnChanges.append(SQLWriter.setNotNullAfterFill(table, column.name))
            } else {
                columnChanges.append(SQLWriter.setNull(table, column.name, column.null))
            }
        }
        return retyped
    }

    /// A type change to or from an auto id: a column of the new type added, the values copied,
    /// the old column (its sequence, default, CHECK and comment with it) dropped and the new one
    /// renamed. `current` becomes what is left to change.
    private mutating func rebuild(_ current: inout TableLayout.Column, into column: TableLayout.Column, table: String) {
        let temporary = String("\(column.name.prefix(50))__new")
        var fresh = column
        fresh.name = temporary; fresh.null = true; fresh.defaultSQL = nil; fresh.primaryKey = false; fresh.check = nil
        fresh.comment = nil
        columnChanges += SQLWriter.addColumn(table, fresh)
        columnChanges.append(SQLWriter.copyColumn(table, from: column.name, to: temporary, type: column.type))
        columnChanges.append(SQLWriter.dropColumn(table, column.name))
        columnChanges.append(SQLWriter.renameColumn(table, temporary, column.name))
        current.null = true
        current.defaultSQL = nil
        current.check = nil
        current.comment = nil
    }

    /// A column's CHECK: dropped before the column changes, added after, renamed when only its
    /// name changed (the table or column was renamed).
    private mutating func alterCheck(_ was: TableLayout.Check?, into check: TableLayout.Check?, table: String, oldTable: String, column: String) {
        if let was, let check, was.template == check.template {
            if was.name != check.name { renames.append(SQLWriter.renameConstraint(table, was.name, check.name)) }
            return
        }
        if let was { dropConstraints.append(SQLWriter.dropConstraint(oldTable, was.name)) }
        if let check { addConstraints.append(SQLWriter.addCheck(table, check, column: column)) }
    }

    /// Foreign keys that go or change are dropped (before their column goes or changes) and
    /// added again; those kept under a new name are renamed.
    private mutating func alterForeignKeys(_ o: TableLayout.Table, into n: TableLayout.Table, layout: TableLayout, retyped: Set<String>) {
        func unchanged(_ a: TableLayout.ForeignKeyConstraint, _ b: TableLayout.ForeignKeyConstraint) -> Bool {
            TableLayout.sameDefinition(a, b) && !retyped.contains(b.column)
        }
        for fk in o.foreignKeys {
            if let kept = n.foreignKeys.first(where: { $0.id == fk.id }), unchanged(fk, kept) {
                if kept.name != fk.name { renames.append(SQLWriter.renameConstraint(n.name, fk.name, kept.name)) }
            } else {
                dropConstraints.append(SQLWriter.dropConstraint(o.name, fk.name))
            }
        }
        for fk in n.foreignKeys where !(o.foreignKeys.first { $0.id == fk.id }.map { unchanged($0, fk) } ?? false) {
            addConstraints.append(SQLWriter.addForeignKey(fk, in: n, layout: layout))
        }
    }

    /// Indexes that go or change are dropped and created again; those kept under a new name are renamed.
    private mutating func alterIndexes(_ o: TableLayout.Table, into n: TableLayout.Table, retyped: Set<String>) {
        func unchanged(_ a: TableLayout.IndexDefinition, _ b: TableLayout.IndexDefinition) -> Bool {
            a.columns == b.columns && a.unique == b.unique && a.method == b.method && a.descending == b.descending
                && a.condition == b.condition && a.include == b.include && a.expressions == b.expressions
                && retyped.isDisjoint(with: b.columns + b.include + b.expressions.map(\.field))
        }
        for index in o.indexes {
            if let kept = n.indexes.first(where: { $0.id == index.id }), unchanged(index, kept) {
                if kept.name != index.name { renames.append(SQLWriter.renameIndex(index.name, kept.name)) }
            } else {
                dropIndexes.append(SQLWriter.dropIndex(index))
            }
        }
        for index in n.indexes where !(o.indexes.first { $0.id == index.id }.map { unchanged($0, index) } ?? false) {
            createIndexes.append(SQLWriter.createIndex(index, on: n))
        }
    }

    /// Tables in an order where each one's foreign-key targets among them come first
    /// (`referencedFirst`, for creating) or last (for dropping); ties by identity.
    static func ordered(_ tables: [TableLayout.Table], referencedFirst: Bool) -> [TableLayout.Table] {
        var remaining = tables.sorted { $0.id < $1.id }
        var result: [TableLayout.Table] = []
        while !remaining.isEmpty {
            let ids = Set(remaining.map(\.id))
            let index: Int
            if referencedFirst {
                // Next: a table pointing at no other remaining table.
                index = remaining.firstIndex { t in t.foreignKeys.allSatisfy { $0.target == t.id || !ids.contains($0.target) } } ?? 0
            } else {
                // Next: a table no other remaining table points at.
                index = remaining.firstIndex { t in
                    !remaining.contains { other in other.id != t.id && other.foreignKeys.contains { $0.target == t.id } }
                } ?? 0
            }
            result.append(remaining.remove(at: index))
        }
        return result
    }
}

extension TableLayout {
    /// Whether two foreign keys constrain the same thing (names aside).
    static func sameDefinition(_ a: ForeignKeyConstraint, _ b: ForeignKeyConstraint) -> Bool {
        a.column == b.column && a.target == b.target && a.targetColumn == b.targetColumn && a.onDelete.sql == b.onDelete.sql
    }
}
