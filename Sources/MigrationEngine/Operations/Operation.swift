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
        return [TableLayout.TableID(model: model.lowercased(), joinField: nil): [field.name: field.kind.type.defaultSQL(value)]]
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
