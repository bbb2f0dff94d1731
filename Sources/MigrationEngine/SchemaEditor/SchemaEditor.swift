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
/// A column type change that only widens (longer `VARCHAR`, `VARCHAR` to `TEXT`, `INTEGER` to
/// `BIGINT`) is an in-place `ALTER COLUMN ... TYPE`; any other is add, copy, drop and rename, as
/// CockroachDB advises against rewriting type changes.
struct SchemaEditor {
    /// A new NOT NULL column's one-off value for existing rows, by table and column identity.
    typealias OneOffDefaults = [TableLayout.TableID: [String: FieldDefault]]

    static func statements(from before: TableLayout, to after: TableLayout, renames: Renames = Renames(),
                           oneOffDefaults: OneOffDefaults = [:]) -> [String] {
        let old = before.renamed(renames)
        let new = after
        var dropConstraints: [String] = [], dropIndexes: [String] = [], renames: [String] = []
        var columnChanges: [String] = [], addConstraints: [String] = [], createIndexes: [String] = []
        var droppedTables: [TableLayout.Table] = [], createdTables: [TableLayout.Table] = []

        for id in Set(old.tables.keys).union(new.tables.keys).sorted() {
            switch (old.tables[id], new.tables[id]) {
            case (let o?, nil): droppedTables.append(o)
            case (nil, let n?): createdTables.append(n)
            case (let o?, let n?):
                if o.name != n.name { renames.append(SQLWriter.renameTable(o.name, n.name)) }
                var rebuilt = Set<String>()
                // Columns.
                for column in n.columns {
                    guard let was = o.column(column.id) else {
                        columnChanges += SQLWriter.addColumn(n.name, column, oneOffDefault: oneOffDefaults[id]?[column.id])
                        continue
                    }
                    if was.name != column.name { renames.append(SQLWriter.renameColumn(n.name, was.name, column.name)) }
                    var current = was
                    if was.type != column.type {
                        if was.type.widensInPlace(to: column.type) {
                            columnChanges.append(SQLWriter.alterType(n.name, column.name, column.type))
                        } else {
                            let temporary = String("\(column.name.prefix(50))__new")
                            var fresh = column
                            fresh.name = temporary; fresh.null = true; fresh.defaultValue = nil; fresh.primaryKey = false
                            columnChanges += SQLWriter.addColumn(n.name, fresh)
                            columnChanges.append(SQLWriter.copyColumn(n.name, from: column.name, to: temporary, type: column.type))
                            columnChanges.append(SQLWriter.dropColumn(n.name, column.name))
                            columnChanges.append(SQLWriter.renameColumn(n.name, temporary, column.name))
                            rebuilt.insert(column.id)
                            current.null = true
                            current.defaultValue = nil
                        }
                    }
                    if current.defaultValue != column.defaultValue {
                        columnChanges.append(SQLWriter.setDefault(n.name, column.name, column.defaultValue))
                    }
                    if current.null != column.null {
                        if !column.null && column.defaultValue != nil { columnChanges.append(SQLWriter.fillNulls(n.name, column.name)) }
                        columnChanges.append(SQLWriter.setNull(n.name, column.name, column.null))
                    }
                }
                for column in o.columns where n.column(column.id) == nil {
                    columnChanges.append(SQLWriter.dropColumn(n.name, column.name))
                }
                // Foreign keys.
                for fk in o.foreignKeys {
                    let kept = n.foreignKeys.first { $0.id == fk.id }
                    if let kept, TableLayout.sameDefinition(fk, kept), !rebuilt.contains(fk.column) {
                        if kept.name != fk.name { renames.append(SQLWriter.renameConstraint(n.name, fk.name, kept.name)) }
                    } else {
                        // Dropped explicitly, before its column goes or changes.
                        dropConstraints.append(SQLWriter.dropConstraint(o.name, fk.name))
                    }
                }
                for fk in n.foreignKeys {
                    let was = o.foreignKeys.first { $0.id == fk.id }
                    if was == nil || !TableLayout.sameDefinition(was!, fk) || rebuilt.contains(fk.column) {
                        addConstraints.append(SQLWriter.addForeignKey(fk, in: n, layout: new))
                    }
                }
                for unique in n.uniqueConstraints {
                    if let was = o.uniqueConstraints.first(where: { $0.id == unique.id }), was.name != unique.name {
                        renames.append(SQLWriter.renameConstraint(n.name, was.name, unique.name))
                    }
                }
                // Indexes.
                for index in o.indexes {
                    let kept = n.indexes.first { $0.id == index.id }
                    if let kept, kept.columns == index.columns, kept.unique == index.unique, rebuilt.isDisjoint(with: index.columns) {
                        if kept.name != index.name { renames.append(SQLWriter.renameIndex(index.name, kept.name)) }
                    } else {
                        dropIndexes.append(SQLWriter.dropIndex(index))
                    }
                }
                for index in n.indexes {
                    let was = o.indexes.first { $0.id == index.id }
                    if was == nil || was!.columns != index.columns || was!.unique != index.unique || !rebuilt.isDisjoint(with: index.columns) {
                        createIndexes.append(SQLWriter.createIndex(index, on: n))
                    }
                }
            case (nil, nil): break
            }
        }

        var statements = dropConstraints + dropIndexes
        statements += ordered(droppedTables, referencedFirst: false).map { SQLWriter.dropTable($0.name) }
        statements += renames
        for table in ordered(createdTables, referencedFirst: true) { statements += SQLWriter.createTable(table, layout: new) }
        statements += columnChanges + addConstraints + createIndexes
        return statements
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
        a.column == b.column && a.target == b.target && a.targetColumn == b.targetColumn && a.onDelete == b.onDelete
    }
}
