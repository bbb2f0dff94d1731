/// The tables a `ProjectState` needs, as the database sees them: table, column, index and
/// constraint names, each object tagged with an identity that survives renames.
///
/// Operations turn into SQL by comparing the layout before and after them (`SchemaEditor`):
/// a rename operation maps the old identities to the new ones, so the comparison sees the same
/// objects under new names and emits `RENAME` statements, never a drop and a create.
struct TableLayout: Equatable {
    var tables: [TableID: Table]

    /// A table's identity: a model's own table, or the join table of one of its many-to-many fields.
    struct TableID: Hashable, Comparable {
        var model: String
        var joinField: String?

        static func < (a: TableID, b: TableID) -> Bool {
            (a.model, a.joinField ?? "") < (b.model, b.joinField ?? "")
        }
    }

    struct Table: Equatable {
        var id: TableID
        var name: String
        var columns: [Column]
        var foreignKeys: [ForeignKeyConstraint]
        /// Unique constraints written inside CREATE TABLE (the join table's pair).
        var uniqueConstraints: [UniqueConstraint]
        /// Plain and unique indexes, created by their own statements.
        var indexes: [IndexDefinition]
        /// Table-level CHECK constraints (Django's `CheckConstraint`).
        var checks: [TableCheck] = []
        /// `COMMENT ON TABLE` (Django's `db_table_comment`).
        var comment: String? = nil
        /// False for the tables of an unmanaged model (its join tables too): known, for the
        /// foreign keys that point at them, but never created, changed or dropped.
        var managed = true

        func column(_ id: String) -> Column? { columns.first { $0.id == id } }
    }

    struct Column: Equatable {
        /// The field name, or `id` / `from` / `to` in a join table.
        var id: String
        var name: String
        /// The field kind's column type (`TableLayout.ColumnType` is the closed list SchemaInspector
        /// still switches over; see SchemaInspectorColumnTypes.swift).
        var type: MigrationEngine.ColumnType
        var null: Bool
        /// The default as SQL, as the field's kind writes it.
        var defaultSQL: String?
        var primaryKey: Bool
        /// The CHECK the field's kind gives the column (`FieldType.columnCheck`), written in its
        /// definition and named so that a later migration can drop or rename it.
        var check: Check? = nil
        /// `COMMENT ON COLUMN` (Django's `db_comment`).
        var comment: String? = nil
    }

    struct Check: Equatable {
        var name: String
        /// The condition, `%(column)s` standing for the quoted column name.
        var template: String

        func condition(column: String) -> String {
            template.replacingBytes("%(column)s", with: SQLWriter.quote(column))
        }
    }

    struct ForeignKeyConstraint: Equatable {
        var id: String
        var name: String
        var column: String
        var target: TableID
        /// The target's table name, for a target outside the layout (another app's model).
        var targetTable: String = ""
        var targetColumn: String
        var onDelete: OnDelete
    }

    struct TableCheck: Equatable {
        var id: String
        var name: String
        var condition: String
    }

    struct UniqueConstraint: Equatable {
        var id: String
        var name: String
        var columns: [String]
    }

    struct IndexDefinition: Equatable {
        var id: String
        var name: String
        var columns: [String]
        var unique: Bool
        /// The access method when not the default B-tree (`GIN`).
        var method: String? = nil
        /// Key columns (ids) in descending order.
        var descending: [String] = []
        /// A partial index's condition (SQL).
        var condition: String? = nil
        /// Columns (ids) stored beside the key.
        var include: [String] = []
        /// The key of an expression index, its fields as column ids (`columns` is then empty).
        var expressions: [IndexExpression] = []
    }

    /// The layout of every model in `state`, or of those whose key is in `only`.
    init(_ state: ProjectState, only keys: Set<String>? = nil) {
        tables = [:]
        let models = keys.map { $0.sorted().compactMap { state.models[$0] } } ?? state.sortedModels
        for model in models {
            let id = TableID(model: model.key, joinField: nil)
            let table = state.tableName(of: model)
            var columns: [Column] = [], foreignKeys: [ForeignKeyConstraint] = [], indexes: [IndexDefinition] = []
            for field in model.fields {
                switch field.kind.type.relation {
                case .manyToMany(let to)?:
                    // Through a model of the user's: that model's table is the join table.
                    if (field.kind.type as? ManyToManyField.Kind)?.through != nil { continue }
                    guard let target = state.model(to), var joined = TableLayout.joinTable(state, model, field, target) else { continue }
                    joined.managed = model.managed
                    tables[joined.id] = joined
                case .foreignKey(let to, let onDelete)?:
                    guard let target = state.model(to), let targetKey = state.primaryKey(of: target),
                          let targetType = targetKey.kind.type.referenceColumnType else { continue }
                    columns.append(Column(id: field.name, name: field.column, type: targetType, null: field.null,
                                          defaultSQL: field.defaultSQL, primaryKey: field.primaryKey, comment: field.dbComment))
                    let targetTable = state.tableName(of: target)
                    foreignKeys.append(ForeignKeyConstraint(
                        id: "fk:\(field.name)",
                        name: Names.indexName(table, [field.column], suffix: "_fk_\(targetTable)_\(targetKey.column)"),
                        column: field.name, target: TableID(model: target.key, joinField: nil), targetTable: targetTable,
                        targetColumn: targetKey.name, onDelete: onDelete))
                case nil:
                    guard let type = field.kind.type.columnType else { continue }
                    columns.append(Column(id: field.name, name: field.column, type: type, null: field.null,
                                          defaultSQL: field.defaultSQL, primaryKey: field.primaryKey,
                                          check: field.kind.type.columnCheck.map {
                                              Check(name: Names.indexName(table, [field.column], suffix: "_check"), template: $0)
                                          }, comment: field.dbComment))
                }
                if field.hasColumn && field.isUnique && !field.primaryKey {
                    indexes.append(IndexDefinition(id: "uniq:\(field.name)", name: Names.indexName(table, [field.column], suffix: "_uniq"),
                                                   columns: [field.name], unique: true))
                }
                if field.wantsIndex {
                    indexes.append(IndexDefinition(id: "idx:\(field.name)", name: Names.indexName(table, [field.column]),
                                                   columns: [field.name], unique: false, method: field.kind.type.indexMethod))
                }
            }
            for set in model.uniqueTogether {
                let columnNames = set.map { model.field($0)?.column ?? $0 }
                indexes.append(IndexDefinition(id: "ut:" + set.joined(separator: ","), name: Names.indexName(table, columnNames, suffix: "_uniq"),
                                               columns: set, unique: true))
            }
            var checks: [TableCheck] = []
            for constraint in model.constraints {
                switch constraint.kind {
                case .unique:
                    indexes.append(IndexDefinition(id: "constraint:\(constraint.name)", name: constraint.name, columns: constraint.fields,
                                                   unique: true, condition: constraint.condition))
                case .check:
                    checks.append(TableCheck(id: "constraint:\(constraint.name)", name: constraint.name, condition: constraint.condition ?? "TRUE"))
                }
            }
            for index in model.indexes {
                indexes.append(IndexDefinition(id: "meta:\(index.name)", name: index.name, columns: index.fields, unique: false,
                                               descending: index.descending, condition: index.condition, include: index.include,
                                               expressions: index.expressions))
            }
            tables[id] = Table(id: id, name: table, columns: columns, foreignKeys: foreignKeys, uniqueConstraints: [], indexes: indexes,
                               checks: checks, comment: model.tableComment, managed: model.managed)
        }
    }

    /// The keys of the models whose tables an operation taking `a` to `b` can change, and of
    /// those the SQL for these refers to; a layout of these alone gives the same statements as
    /// one of every model.
    ///
    /// A model's tables (its own and its join tables) depend on the model and, for each relation,
    /// on the target's table name and primary key, nothing else. So the tables that differ are
    /// those of the models that differ (or exist on one side only) and of the models pointing at
    /// one of these. The statements for them look up the tables their foreign keys point at, so
    /// those are in too (the same on both sides when their model does not differ).
    static func relevantModels(_ a: ProjectState, _ b: ProjectState) -> Set<String> {
        var changed = Set<String>()
        for (key, model) in a.models {
            guard let other = b.models[key], identical(model, other) else { changed.insert(key); continue }
        }
        for key in b.models.keys where a.models[key] == nil { changed.insert(key) }
        var keys = changed
        // Usually one or two models change: compared in place rather than hashed lowercased copies.
        let pointsAtChanged: (String) -> Bool = changed.count <= 4
            ? { target in changed.contains { target.lowercasedEquals($0) } }
            : { target in changed.contains(target.lowercased()) }
        for state in [a, b] {
            for (key, model) in state.models where !keys.contains(key) {
                if model.fields.contains(where: { $0.kind.target.map(pointsAtChanged) ?? false }) {
                    keys.insert(key)
                }
            }
        }
        var targets = Set<String>()
        for key in keys {
            for state in [a, b] {
                for field in state.models[key]?.fields ?? [] {
                    if let target = field.kind.target { targets.insert(target.lowercased()) }
                }
            }
        }
        return keys.union(targets)
    }

    /// Equal in everything a layout reads, field order included (`ModelState.==` ignores it).
    private static func identical(_ a: ModelState, _ b: ModelState) -> Bool {
        a.name == b.name && a.table == b.table && a.fields == b.fields && a.uniqueTogether == b.uniqueTogether
            && a.indexes == b.indexes && a.constraints == b.constraints && a.tableComment == b.tableComment && a.managed == b.managed
    }

    /// Django's automatic join table: `id`, `<model>_id`, `<target>_id`, both foreign keys
    /// cascading, the pair unique, each column indexed.
    static func joinTable(_ state: ProjectState, _ model: ModelState, _ field: FieldState, _ target: ModelState) -> Table? {
        guard let fromKey = state.primaryKey(of: model), let toKey = state.primaryKey(of: target),
              let fromType = fromKey.kind.type.referenceColumnType, let toType = toKey.kind.type.referenceColumnType else { return nil }
        let name = state.joinTableName(of: model, field: field)
        let (from, to) = state.joinColumns(of: model, field: field)
        let fromTable = state.tableName(of: model), toTable = state.tableName(of: target)
        return Table(
            id: TableID(model: model.key, joinField: field.name),
            name: name,
            columns: [
                Column(id: "id", name: "id", type: .bigSerial, null: false, defaultSQL: nil, primaryKey: true),
                Column(id: "from", name: from, type: fromType, null: false, defaultSQL: nil, primaryKey: false),
                Column(id: "to", name: to, type: toType, null: false, defaultSQL: nil, primaryKey: false),
            ],
            foreignKeys: [
                ForeignKeyConstraint(id: "fk:from", name: Names.indexName(name, [from], suffix: "_fk_\(fromTable)_\(fromKey.column)"),
                                     column: "from", target: TableID(model: model.key, joinField: nil), targetTable: fromTable,
                                     targetColumn: fromKey.name, onDelete: .cascade),
                ForeignKeyConstraint(id: "fk:to", name: Names.indexName(name, [to], suffix: "_fk_\(toTable)_\(toKey.column)"),
                                     column: "to", target: TableID(model: target.key, joinField: nil), targetTable: toTable,
                                     targetColumn: toKey.name, onDelete: .cascade),
            ],
            uniqueConstraints: [UniqueConstraint(id: "pair", name: Names.indexName(name, [from, to], suffix: "_uniq"), columns: ["from", "to"])],
            indexes: [
                IndexDefinition(id: "idx:from", name: Names.indexName(name, [from]), columns: ["from"], unique: false),
                IndexDefinition(id: "idx:to", name: Names.indexName(name, [to]), columns: ["to"], unique: false),
            ]
        )
    }

    /// The same layout with identities renamed, so that it lines up with the layout after a rename.
    func renamed(_ renames: Renames) -> TableLayout {
        guard !renames.isEmpty else { return self }
        var result: [TableID: Table] = [:]
        for (_, table) in tables {
            let model = table.id.model
            var copy = table
            copy.id = renames.table(table.id)
            if table.id.joinField == nil {
                let field = { (name: String) in renames.field(model, name) }
                copy.columns = table.columns.map { var c = $0; c.id = field(c.id); return c }
                copy.foreignKeys = table.foreignKeys.map {
                    var f = $0
                    f.column = field(f.column)
                    f.id = "fk:" + field(String(f.id.dropFirst(3)))
                    f.target = renames.table(f.target)
                    f.targetColumn = renames.field(f.target.model, f.targetColumn)
                    return f
                }
                copy.indexes = table.indexes.map {
                    var i = $0
                    i.columns = i.columns.map(field)
                    i.descending = i.descending.map(field)
                    i.include = i.include.map(field)
                    i.expressions = i.expressions.map { var e = $0; e.field = field(e.field); return e }
                    if i.id.hasPrefix("meta:"), let new = renames.indexes[model]?[String(i.id.dropFirst(5))] {
                        i.id = "meta:" + new
                    } else if !i.id.hasPrefix("meta:") && !i.id.hasPrefix("constraint:"), let colon = i.id.firstIndex(of: ":") {
                        let role = i.id[..<colon]
                        i.id = role + ":" + i.id[i.id.index(after: colon)...].split(separator: ",").map { field(String($0)) }.joined(separator: ",")
                    }
                    return i
                }
            } else {
                copy.foreignKeys = table.foreignKeys.map {
                    var f = $0
                    f.target = renames.table(f.target)
                    f.targetColumn = renames.field(f.target.model, f.targetColumn)
                    return f
                }
            }
            result[copy.id] = copy
        }
        return TableLayout(tables: result)
    }

    init(tables: [TableID: Table]) { self.tables = tables }
}

/// The renames an operation makes, as identity maps for `TableLayout.renamed`.
struct Renames {
    /// Old model key to new model key.
    var models: [String: String] = [:]
    /// (model key after model renames, old field name) to new field name.
    var fields: [String: [String: String]] = [:]
    /// (model key, old index name) to new index name (Django's `RenameIndex`).
    var indexes: [String: [String: String]] = [:]

    var isEmpty: Bool { models.isEmpty && fields.isEmpty && indexes.isEmpty }

    func model(_ key: String) -> String { models[key] ?? key }

    func field(_ model: String, _ name: String) -> String { fields[self.model(model)]?[name] ?? name }

    func table(_ id: TableLayout.TableID) -> TableLayout.TableID {
        TableLayout.TableID(model: model(id.model), joinField: id.joinField.map { field(id.model, $0) })
    }

    /// The renames that undo these.
    var inverted: Renames {
        var result = Renames()
        for (old, new) in models { result.models[new] = old }
        for (model, map) in fields {
            // Field renames are keyed by the model's new key; undoing runs before the model rename is undone.
            var inverse: [String: String] = [:]
            for (old, new) in map { inverse[new] = old }
            result.fields[result.model(model)] = inverse
        }
        for (model, map) in indexes { result.indexes[model] = Dictionary(uniqueKeysWithValues: map.map { ($1, $0) }) }
        return result
    }
}
