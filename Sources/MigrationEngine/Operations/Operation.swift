/// One change to the models, as Django's migration operations: it knows how to change a state
/// (`stateForwards`), how to describe itself, and its SQL forwards and backwards (through
/// `SchemaEditor`, where the dialect lives).
///
/// Operations are recorded in migration files as one JSON object per line (see `MigrationFile`);
/// model names are written as declared, and looked up whatever their case.
public enum Operation: Equatable, Sendable {
    case createModel(ModelState)
    case deleteModel(name: String)
    case renameModel(oldName: String, newName: String)
    /// Sets or clears a model's table name override.
    case alterModelTable(name: String, table: String?)
    /// `oneOffDefault` fills existing rows of a new NOT NULL column without a default, and is not
    /// kept on the column (Django's `preserve_default=False`).
    case addField(model: String, field: FieldState, oneOffDefault: FieldDefault? = nil)
    case removeField(model: String, name: String)
    case alterField(model: String, field: FieldState)
    case renameField(model: String, oldName: String, newName: String)
    case addIndex(model: String, index: IndexState)
    case removeIndex(model: String, name: String)
    case alterUniqueTogether(model: String, uniqueTogether: [[String]])

    // MARK: - Describing

    /// Django's `describe()`: "Create model Customers", "Add field email to customers", ...
    public var description: String {
        switch self {
        case .createModel(let model): return "Create model \(model.name)"
        case .deleteModel(let name): return "Delete model \(name)"
        case .renameModel(let old, let new): return "Rename model \(old) to \(new)"
        case .alterModelTable(let name, let table): return "Rename table for \(name.lowercased()) to \(table ?? "(default)")"
        case .addField(let model, let field, _): return "Add field \(field.name) to \(model.lowercased())"
        case .removeField(let model, let name): return "Remove field \(name) from \(model.lowercased())"
        case .alterField(let model, let field): return "Alter field \(field.name) on \(model.lowercased())"
        case .renameField(let model, let old, let new): return "Rename field \(old) on \(model.lowercased()) to \(new)"
        case .addIndex(let model, let index):
            return "Create index \(index.name) on field(s) \(index.fields.joined(separator: ", ")) of model \(model.lowercased())"
        case .removeIndex(let model, let name): return "Remove index \(name) from \(model.lowercased())"
        case .alterUniqueTogether(let model, let sets):
            return "Alter unique_together for \(model.lowercased()) (\(sets.count) constraint(s))"
        }
    }

    /// Django's `migration_name_fragment`, for automatic migration names.
    public var migrationNameFragment: String {
        switch self {
        case .createModel(let model): return model.key
        case .deleteModel(let name): return "delete_\(name.lowercased())"
        case .renameModel(let old, let new): return "rename_\(old.lowercased())_\(new.lowercased())"
        case .alterModelTable(let name, _): return "alter_\(name.lowercased())_table"
        case .addField(let model, let field, _): return "\(model.lowercased())_\(field.name.lowercased())"
        case .removeField(let model, let name): return "remove_\(model.lowercased())_\(name.lowercased())"
        case .alterField(let model, let field): return "alter_\(model.lowercased())_\(field.name.lowercased())"
        case .renameField(let model, let old, let new):
            return "rename_\(old.lowercased())_\(model.lowercased())_\(new.lowercased())"
        case .addIndex(let model, let index): return "\(model.lowercased())_\(index.name.lowercased())"
        case .removeIndex(let model, let name): return "remove_\(model.lowercased())_\(name.lowercased())"
        case .alterUniqueTogether(let model, _): return "alter_\(model.lowercased())_unique_together"
        }
    }

    // MARK: - State

    /// Applies the operation to a state, or throws when it does not fit it (a model or field
    /// that is missing or already there).
    public func stateForwards(_ state: inout ProjectState) throws {
        func fail(_ reason: String) -> Error { OperationError(operation: description, reason: reason) }
        func model(_ name: String) throws -> ModelState {
            guard let model = state.model(name) else { throw fail("there is no model \(name)") }
            return model
        }
        func store(_ model: ModelState) { state.models[model.key] = model }

        switch self {
        case .createModel(let new):
            guard state.model(new.name) == nil else { throw fail("model \(new.name) already exists") }
            store(new)
        case .deleteModel(let name):
            let gone = try model(name)
            // The first model by key that still points at it (no sort unless one does).
            var pointing: (key: String, model: ModelState, field: FieldState)?
            for (key, other) in state.models where key != gone.key && pointing.map({ key < $0.key }) ?? true {
                if let field = other.fields.first(where: { $0.kind.target?.lowercasedEquals(gone.key) ?? false }) {
                    pointing = (key, other, field)
                }
            }
            if let pointing { throw fail("\(pointing.model.name).\(pointing.field.name) still points at \(gone.name)") }
            state.models[gone.key] = nil
        case .renameModel(let oldName, let newName):
            var renamed = try model(oldName)
            guard state.model(newName) == nil || newName.lowercased() == renamed.key else {
                throw fail("model \(newName) already exists")
            }
            state.models[renamed.key] = nil
            let oldKey = renamed.key
            renamed.name = newName
            store(renamed)
            for key in state.models.keys {
                state.models[key]!.fields = state.models[key]!.fields.map { field in
                    var field = field
                    switch field.kind {
                    case .foreignKey(let to, let onDelete) where to.lowercased() == oldKey:
                        field.kind = .foreignKey(to: newName, onDelete: onDelete)
                    case .manyToMany(let to) where to.lowercased() == oldKey:
                        field.kind = .manyToMany(to: newName)
                    default: break
                    }
                    return field
                }
            }
        case .alterModelTable(let name, let table):
            var changed = try model(name)
            changed.table = table
            store(changed)
        case .addField(let name, let field, _):
            var changed = try model(name)
            guard changed.field(field.name) == nil else { throw fail("\(changed.name).\(field.name) already exists") }
            changed.fields.append(field)
            store(changed)
        case .removeField(let name, let fieldName):
            var changed = try model(name)
            guard changed.field(fieldName) != nil else { throw fail("there is no field \(changed.name).\(fieldName)") }
            if changed.uniqueTogether.contains(where: { $0.contains(fieldName) }) || changed.indexes.contains(where: { $0.fields.contains(fieldName) }) {
                throw fail("\(changed.name).\(fieldName) is still in a unique together set or an index")
            }
            changed.fields.removeAll { $0.name == fieldName }
            store(changed)
        case .alterField(let name, let field):
            var changed = try model(name)
            guard let index = changed.fields.firstIndex(where: { $0.name == field.name }) else {
                throw fail("there is no field \(changed.name).\(field.name)")
            }
            changed.fields[index] = field
            store(changed)
        case .renameField(let name, let oldName, let newName):
            var changed = try model(name)
            guard let index = changed.fields.firstIndex(where: { $0.name == oldName }) else {
                throw fail("there is no field \(changed.name).\(oldName)")
            }
            guard changed.field(newName) == nil else { throw fail("\(changed.name).\(newName) already exists") }
            changed.fields[index].name = newName
            let rename = { (field: String) in field == oldName ? newName : field }
            changed.uniqueTogether = ModelState.normalized(changed.uniqueTogether.map { $0.map(rename) })
            changed.indexes = changed.indexes.map { IndexState(name: $0.name, fields: $0.fields.map(rename)) }
            store(changed)
        case .addIndex(let name, let index):
            var changed = try model(name)
            guard !changed.indexes.contains(where: { $0.name == index.name }) else { throw fail("index \(index.name) already exists") }
            changed.indexes = (changed.indexes + [index]).sorted { $0.name < $1.name }
            store(changed)
        case .removeIndex(let name, let indexName):
            var changed = try model(name)
            guard changed.indexes.contains(where: { $0.name == indexName }) else { throw fail("there is no index \(indexName)") }
            changed.indexes.removeAll { $0.name == indexName }
            store(changed)
        case .alterUniqueTogether(let name, let sets):
            var changed = try model(name)
            changed.uniqueTogether = ModelState.normalized(sets)
            store(changed)
        }
    }

    // MARK: - SQL

    /// The identity renames this operation makes, so the schema editor renames instead of
    /// dropping and creating.
    var renames: Renames {
        switch self {
        case .renameModel(let old, let new): return Renames(models: [old.lowercased(): new.lowercased()])
        case .renameField(let model, let old, let new): return Renames(fields: [model.lowercased(): [old: new]])
        default: return Renames()
        }
    }

    private var oneOffDefaults: SchemaEditor.OneOffDefaults {
        guard case .addField(let model, let field, let value?) = self else { return [:] }
        return [TableLayout.TableID(model: model.lowercased(), joinField: nil): [field.name: value]]
    }

    /// The statements that take the database from `before` to the state after this operation.
    public func forwardSQL(from before: ProjectState) throws -> [String] {
        try sql(from: before).forward
    }

    /// The statements that undo this operation, taking the database from the state after it
    /// back to `before`.
    public func backwardSQL(from before: ProjectState) throws -> [String] {
        try sql(from: before).backward
    }

    /// Both at once: the state after the operation and the two layouts are worked out once.
    /// The layouts hold only the tables the operation can change and those their SQL refers to
    /// (`TableLayout.relevantModels`): the others are the same before and after, so they make
    /// no statement, and laying out every table of a large state for each operation of a
    /// migration made writing it quadratic.
    func sql(from before: ProjectState) throws -> (forward: [String], backward: [String]) {
        var after = before
        try stateForwards(&after)
        let keys = TableLayout.relevantModels(before, after)
        let old = TableLayout(before, only: keys), new = TableLayout(after, only: keys)
        return (SchemaEditor.statements(from: old, to: new, renames: renames, oneOffDefaults: oneOffDefaults),
                SchemaEditor.statements(from: new, to: old, renames: renames.inverted))
    }

    /// The same statements from layouts of every table (what `sql(from:)` must agree with; for tests).
    func sqlOverFullLayouts(from before: ProjectState) throws -> (forward: [String], backward: [String]) {
        var after = before
        try stateForwards(&after)
        let old = TableLayout(before), new = TableLayout(after)
        return (SchemaEditor.statements(from: old, to: new, renames: renames, oneOffDefaults: oneOffDefaults),
                SchemaEditor.statements(from: new, to: old, renames: renames.inverted))
    }
}

/// An operation that does not fit the state it is applied to.
public struct OperationError: Error, CustomStringConvertible {
    public var operation: String
    public var reason: String
    public var description: String { "\(operation): \(reason)" }
}

// MARK: - The JSON record

extension Operation: Codable {
    enum CodingKeys: String, CodingKey {
        case type, model, name, oldName = "old_name", newName = "new_name", modelName = "model_name"
        case field, oneOffDefault = "one_off_default", index, uniqueTogether = "unique_together", table = "db_table"
    }

    /// The Django class name, the `type` of the JSON record.
    public var typeName: String {
        switch self {
        case .createModel: return "CreateModel"
        case .deleteModel: return "DeleteModel"
        case .renameModel: return "RenameModel"
        case .alterModelTable: return "AlterModelTable"
        case .addField: return "AddField"
        case .removeField: return "RemoveField"
        case .alterField: return "AlterField"
        case .renameField: return "RenameField"
        case .addIndex: return "AddIndex"
        case .removeIndex: return "RemoveIndex"
        case .alterUniqueTogether: return "AlterUniqueTogether"
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        func string(_ key: CodingKeys) throws -> String { try c.decode(String.self, forKey: key) }
        switch type {
        case "CreateModel": self = .createModel(try c.decode(ModelState.self, forKey: .model))
        case "DeleteModel": self = .deleteModel(name: try string(.name))
        case "RenameModel": self = .renameModel(oldName: try string(.oldName), newName: try string(.newName))
        case "AlterModelTable": self = .alterModelTable(name: try string(.name), table: try c.decodeIfPresent(String.self, forKey: .table))
        case "AddField":
            self = .addField(model: try string(.modelName), field: try c.decode(FieldState.self, forKey: .field),
                             oneOffDefault: try c.decodeIfPresent(FieldDefault.self, forKey: .oneOffDefault))
        case "RemoveField": self = .removeField(model: try string(.modelName), name: try string(.name))
        case "AlterField": self = .alterField(model: try string(.modelName), field: try c.decode(FieldState.self, forKey: .field))
        case "RenameField":
            self = .renameField(model: try string(.modelName), oldName: try string(.oldName), newName: try string(.newName))
        case "AddIndex": self = .addIndex(model: try string(.modelName), index: try c.decode(IndexState.self, forKey: .index))
        case "RemoveIndex": self = .removeIndex(model: try string(.modelName), name: try string(.name))
        case "AlterUniqueTogether":
            self = .alterUniqueTogether(model: try string(.modelName), uniqueTogether: try c.decode([[String]].self, forKey: .uniqueTogether))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown operation type \(type)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(typeName, forKey: .type)
        switch self {
        case .createModel(let model): try c.encode(model, forKey: .model)
        case .deleteModel(let name): try c.encode(name, forKey: .name)
        case .renameModel(let old, let new):
            try c.encode(old, forKey: .oldName)
            try c.encode(new, forKey: .newName)
        case .alterModelTable(let name, let table):
            try c.encode(name, forKey: .name)
            try c.encodeIfPresent(table, forKey: .table)
        case .addField(let model, let field, let value):
            try c.encode(model, forKey: .modelName)
            try c.encode(field, forKey: .field)
            try c.encodeIfPresent(value, forKey: .oneOffDefault)
        case .removeField(let model, let name):
            try c.encode(model, forKey: .modelName)
            try c.encode(name, forKey: .name)
        case .alterField(let model, let field):
            try c.encode(model, forKey: .modelName)
            try c.encode(field, forKey: .field)
        case .renameField(let model, let old, let new):
            try c.encode(model, forKey: .modelName)
            try c.encode(old, forKey: .oldName)
            try c.encode(new, forKey: .newName)
        case .addIndex(let model, let index):
            try c.encode(model, forKey: .modelName)
            try c.encode(index, forKey: .index)
        case .removeIndex(let model, let name):
            try c.encode(model, forKey: .modelName)
            try c.encode(name, forKey: .name)
        case .alterUniqueTogether(let model, let sets):
            try c.encode(model, forKey: .modelName)
            try c.encode(sets, forKey: .uniqueTogether)
        }
    }
}
