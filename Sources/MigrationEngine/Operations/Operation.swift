/// One change to the models, as Django's migration operations: it describes itself (here), changes
/// a state (`stateForwards`, OperationState.swift), has SQL forwards and backwards (OperationSQL.swift,
/// through `SchemaEditor`, where the dialect lives), and is recorded in migration files as one JSON
/// object a line (OperationRecord.swift). Model names are written as declared, and looked up
/// whatever their case.
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
    /// `oneOffDefault` fills the existing NULLs of a field that turns NOT NULL (an UPDATE before
    /// the SET NOT NULL), and is not kept on the column.
    case alterField(model: String, field: FieldState, oneOffDefault: FieldDefault? = nil)
    case renameField(model: String, oldName: String, newName: String)
    case addIndex(model: String, index: IndexState)
    case removeIndex(model: String, name: String)
    case alterUniqueTogether(model: String, uniqueTogether: [[String]])
    case addConstraint(model: String, constraint: ConstraintState)
    case removeConstraint(model: String, name: String)
    case renameIndex(model: String, oldName: String, newName: String)
    /// Sets or clears the table's comment (Django's `db_table_comment`).
    case alterModelTableComment(name: String, comment: String?)
    /// Django's `AlterModelOptions`, for the one option with a schema meaning here: `managed`.
    case alterModelOptions(name: String, managed: Bool)

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
        case .alterField(let model, let field, _): return "Alter field \(field.name) on \(model.lowercased())"
        case .renameField(let model, let old, let new): return "Rename field \(old) on \(model.lowercased()) to \(new)"
        case .addIndex(let model, let index) where !index.expressions.isEmpty:
            let expressions = index.expressions.map(\.djangoDescription).joined(separator: ", ")
            return "Create index \(index.name) on \(expressions) on model \(model.lowercased())"
        case .addIndex(let model, let index):
            return "Create index \(index.name) on field(s) \(index.fields.joined(separator: ", ")) of model \(model.lowercased())"
        case .removeIndex(let model, let name): return "Remove index \(name) from \(model.lowercased())"
        case .alterUniqueTogether(let model, let sets):
            return "Alter unique_together for \(model.lowercased()) (\(sets.count) constraint(s))"
        case .addConstraint(let model, let constraint): return "Create constraint \(constraint.name) on model \(model.lowercased())"
        case .removeConstraint(let model, let name): return "Remove constraint \(name) from model \(model.lowercased())"
        case .renameIndex(let model, let old, let new): return "Rename index \(old) on \(model.lowercased()) to \(new)"
        case .alterModelTableComment(let name, _): return "Alter \(name.lowercased()) table comment"
        case .alterModelOptions(let name, _): return "Change Meta options on \(name.lowercased())"
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
        case .alterField(let model, let field, _): return "alter_\(model.lowercased())_\(field.name.lowercased())"
        case .renameField(let model, let old, let new):
            return "rename_\(old.lowercased())_\(model.lowercased())_\(new.lowercased())"
        case .addIndex(let model, let index): return "\(model.lowercased())_\(index.name.lowercased())"
        case .removeIndex(let model, let name): return "remove_\(model.lowercased())_\(name.lowercased())"
        case .alterUniqueTogether(let model, _): return "alter_\(model.lowercased())_unique_together"
        case .addConstraint(let model, let constraint): return "\(model.lowercased())_\(constraint.name.lowercased())"
        case .removeConstraint(let model, let name): return "remove_\(model.lowercased())_\(name.lowercased())"
        case .renameIndex(_, let old, let new): return "rename_\(old.lowercased())_\(new.lowercased())"
        case .alterModelTableComment(let name, _): return "alter_\(name.lowercased())_table_comment"
        case .alterModelOptions(let name, _): return "alter_\(name.lowercased())_options"
        }
    }
}

/// An operation that does not fit the state it is applied to.
public struct OperationError: Error, CustomStringConvertible {
    public var operation: String
    public var reason: String
    public var description: String { "\(operation): \(reason)" }
}
