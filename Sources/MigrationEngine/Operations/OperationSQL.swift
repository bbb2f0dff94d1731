/// The SQL of each operation, forwards and backwards: the states before and after it laid out as
/// tables (`TableLayout`) and compared (`SchemaEditor`).
extension Operation {
    /// The identity renames this operation makes, so the schema editor renames instead of
    /// dropping and creating.
    var renames: Renames {
        switch self {
        case .renameModel(let old, let new): return Renames(models: [old.lowercased(): new.lowercased()])
        case .renameField(let model, let old, let new): return Renames(fields: [model.lowercased(): [old: new]])
        case .renameIndex(let model, let old, let new): return Renames(indexes: [model.lowercased(): [old: new]])
        default: return Renames()
        }
    }

    private var oneOffDefaults: SchemaEditor.OneOffDefaults {
        switch self {
        case .addField(let model, let field, let value?), .alterField(let model, let field, let value?):
            return [TableLayout.TableID(model: model.lowercased(), joinField: nil): [field.name: field.kind.type.defaultSQL(value)]]
        default:
            return [:]
        }
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
