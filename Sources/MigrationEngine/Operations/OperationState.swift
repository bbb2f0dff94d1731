/// How each operation changes a `ProjectState` (Django's `state_forwards`).
extension Operation {
    /// Applies the operation to a state, or throws when it does not fit it (a model or field
    /// that is missing or already there).
    public func stateForwards(_ state: inout ProjectState) throws {
        switch self {
        case .createModel(let new):
            guard state.model(new.name) == nil else { throw fail("model \(new.name) already exists") }
            state.store(new)
        case .deleteModel(let name):
            try deleteModel(name, from: &state)
        case .renameModel(let oldName, let newName):
            try renameModel(oldName, to: newName, in: &state)
        case .alterModelTable(let name, let table):
            try change(name, in: &state) { $0.table = table }
        case .addField(let name, let field, _):
            try change(name, in: &state) { model in
                guard model.field(field.name) == nil else { throw fail("\(model.name).\(field.name) already exists") }
                model.fields.append(field)
            }
        case .removeField(let name, let fieldName):
            try change(name, in: &state) { try removeField(fieldName, from: &$0) }
        case .alterField(let name, let field, _):
            try change(name, in: &state) { model in
                guard let index = model.fields.firstIndex(where: { $0.name == field.name }) else {
                    throw fail("there is no field \(model.name).\(field.name)")
                }
                model.fields[index] = field
            }
        case .renameField(let name, let oldName, let newName):
            try change(name, in: &state) { try renameField(oldName, to: newName, in: &$0) }
        case .addIndex(let name, let index):
            try change(name, in: &state) { model in
                guard !model.indexes.contains(where: { $0.name == index.name }) else { throw fail("index \(index.name) already exists") }
                model.indexes = (model.indexes + [index]).sorted { $0.name < $1.name }
            }
        case .removeIndex(let name, let indexName):
            try change(name, in: &state) { model in
                guard model.indexes.contains(where: { $0.name == indexName }) else { throw fail("there is no index \(indexName)") }
                model.indexes.removeAll { $0.name == indexName }
            }
        case .alterUniqueTogether(let name, let sets):
            try change(name, in: &state) { $0.uniqueTogether = ModelState.normalized(sets) }
        case .addConstraint(let name, let constraint):
            try change(name, in: &state) { model in
                guard !model.constraints.contains(where: { $0.name == constraint.name }) else { throw fail("constraint \(constraint.name) already exists") }
                model.constraints = (model.constraints + [constraint]).sorted { $0.name < $1.name }
            }
        case .removeConstraint(let name, let constraintName):
            try change(name, in: &state) { model in
                guard model.constraints.contains(where: { $0.name == constraintName }) else { throw fail("there is no constraint \(constraintName)") }
                model.constraints.removeAll { $0.name == constraintName }
            }
        case .renameIndex(let name, let oldName, let newName):
            try change(name, in: &state) { model in
                guard let index = model.indexes.firstIndex(where: { $0.name == oldName }) else { throw fail("there is no index \(oldName)") }
                guard !model.indexes.contains(where: { $0.name == newName }) else { throw fail("index \(newName) already exists") }
                model.indexes[index].name = newName
                model.indexes.sort { $0.name < $1.name }
            }
        case .alterModelTableComment(let name, let comment):
            try change(name, in: &state) { $0.tableComment = comment }
        case .alterModelOptions(let name, let managed):
            try change(name, in: &state) { $0.managed = managed }
        }
    }

    private func fail(_ reason: String) -> Error { OperationError(operation: description, reason: reason) }

    /// Changes model `name` of `state` with `body`, or throws when there is no such model.
    private func change(_ name: String, in state: inout ProjectState, _ body: (inout ModelState) throws -> Void) throws {
        guard var model = state.model(name) else { throw fail("there is no model \(name)") }
        try body(&model)
        state.store(model)
    }

    private func deleteModel(_ name: String, from state: inout ProjectState) throws {
        guard let gone = state.model(name) else { throw fail("there is no model \(name)") }
        // The first model by key that still points at it (no sort unless one does).
        var pointing: (key: String, model: ModelState, field: FieldState)?
        for (key, other) in state.models where key != gone.key && pointing.map({ key < $0.key }) ?? true {
            if let field = other.fields.first(where: { $0.kind.target?.lowercasedEquals(gone.key) ?? false }) {
                pointing = (key, other, field)
            }
        }
        if let pointing { throw fail("\(pointing.model.name).\(pointing.field.name) still points at \(gone.name)") }
        state.models[gone.key] = nil
    }

    /// Renames the model, and points every relation to it at the new name.
    private func renameModel(_ oldName: String, to newName: String, in state: inout ProjectState) throws {
        guard var renamed = state.model(oldName) else { throw fail("there is no model \(oldName)") }
        guard state.model(newName) == nil || newName.lowercased() == renamed.key else {
            throw fail("model \(newName) already exists")
        }
        let oldKey = renamed.key
        state.models[oldKey] = nil
        renamed.name = newName
        state.store(renamed)
        let pointsAtOld = { (field: FieldState) in field.kind.target?.lowercased() == oldKey }
        let throughOld = { (field: FieldState) in (field.kind.type as? ManyToManyField.Kind)?.through?.lowercased() == oldKey }
        for (key, model) in state.models where model.fields.contains(where: { pointsAtOld($0) || throughOld($0) }) {
            state.models[key]?.fields = model.fields.map { field in
                var field = field
                if pointsAtOld(field) { field.kind = field.kind.retargeted(to: newName) }
                if throughOld(field), var kind = field.kind.type as? ManyToManyField.Kind {
                    kind.through = newName
                    field.kind = FieldKind(kind)
                }
                return field
            }
        }
    }

    private func removeField(_ fieldName: String, from model: inout ModelState) throws {
        guard model.field(fieldName) != nil else { throw fail("there is no field \(model.name).\(fieldName)") }
        if model.uniqueTogether.contains(where: { $0.contains(fieldName) }) || model.indexes.contains(where: { $0.allFields.contains(fieldName) })
            || model.constraints.contains(where: { $0.fields.contains(fieldName) }) {
            throw fail("\(model.name).\(fieldName) is still in a unique together set, an index or a constraint")
        }
        model.fields.removeAll { $0.name == fieldName }
    }

    /// Renames the field, in the model's unique-together sets and indexes too.
    private func renameField(_ oldName: String, to newName: String, in model: inout ModelState) throws {
        guard let index = model.fields.firstIndex(where: { $0.name == oldName }) else {
            throw fail("there is no field \(model.name).\(oldName)")
        }
        guard model.field(newName) == nil else { throw fail("\(model.name).\(newName) already exists") }
        model.fields[index].name = newName
        let rename = { (field: String) in field == oldName ? newName : field }
        model.uniqueTogether = ModelState.normalized(model.uniqueTogether.map { $0.map(rename) })
        model.indexes = model.indexes.map { $0.renaming(rename) }
        model.constraints = model.constraints.map { var c = $0; c.fields = c.fields.map(rename); return c }
    }
}

extension ProjectState {
    /// Puts `model` under its key, replacing what was there.
    mutating func store(_ model: ModelState) { models[model.key] = model }
}
