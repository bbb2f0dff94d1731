/// The steps about whole models: renamed, re-tabled, created and deleted.
extension AutodetectorRun {
    /// Django's `generate_renamed_models`: a model only in the target with exactly the fields of
    /// one only in the current state is a rename, if the questioner says so; a model whose name
    /// changed only in case is renamed without asking.
    mutating func generateRenamedModels() throws {
        for key in target.models.keys.sorted() where current.models[key] == nil {
            guard let new = target.models[key] else { continue }
            let candidates = current.sortedModels.filter {
                target.models[$0.key] == nil && Self.sameFields($0, new, renamedFrom: $0.key, to: key)
            }
            for old in candidates where questioner.askRenameModel(app: app, from: old, to: new) {
                try emit(.renameModel(oldName: old.name, newName: new.name))
                break
            }
        }
        for (key, wanted) in target.models.sorted(by: { $0.key < $1.key }) {
            if let old = current.models[key], old.name != wanted.name {
                try emit(.renameModel(oldName: old.name, newName: wanted.name))
            }
        }
    }

    /// Django's `generate_altered_db_table`: a kept model whose table name override changed.
    mutating func generateAlteredDbTable() throws {
        try forEachKeptModel { run, model in
            if model.now.table != model.wanted.table {
                try run.emit(.alterModelTable(name: model.wanted.name, table: model.wanted.table))
            }
        }
    }

    /// Django's `generate_altered_db_table_comment`: a kept model whose table comment changed.
    mutating func generateAlteredDbTableComment() throws {
        try forEachKeptModel { run, model in
            if model.now.tableComment != model.wanted.tableComment {
                try run.emit(.alterModelTableComment(name: model.wanted.name, comment: model.wanted.tableComment))
            }
            // Django's generate_altered_options, for `managed`.
            if model.now.managed != model.wanted.managed {
                try run.emit(.alterModelOptions(name: model.wanted.name, managed: model.wanted.managed))
            }
        }
    }

    /// Django's `generate_created_models`: models only in the target, each after the models it
    /// points at. In a foreign key cycle the first model waiting is created without the fields
    /// that point at models not created yet (and the indexes and unique sets over them); those
    /// are added once every model exists.
    mutating func generateCreatedModels() throws {
        var pending = target.models.keys.filter { current.models[$0] == nil }.sorted()
        var later: [Operation] = [], completions: [Operation] = []
        while !pending.isEmpty {
            let key = pending.remove(at: nextCreatable(pending))
            guard let wanted = target.models[key] else { continue }
            let split = Self.withoutFields(pointingAt: Set(pending), wanted)
            try emit(.createModel(split.model))
            markCreated(key)
            later += split.lateFields.map { .addField(model: wanted.name, field: $0) }
            completions += split.completions
        }
        for operation in later + completions { try emit(operation) }
    }

    /// The index in `pending` of the first model that points at no other pending model (itself
    /// aside), or 0 in a cycle.
    func nextCreatable(_ pending: [String]) -> Int {
        let waiting = Set(pending)
        return pending.firstIndex { key in
            (target.models[key]?.fields ?? []).allSatisfy { field in
                guard let target = field.kind.target?.lowercased() else { return true }
                return target == key || !waiting.contains(target)
            }
        } ?? 0
    }

    /// `model` without its fields that point at a model in `waiting`, nor the indexes and unique
    /// sets over these; the fields, and the operations that put back the indexes and sets.
    static func withoutFields(pointingAt waiting: Set<String>, _ model: ModelState)
        -> (model: ModelState, lateFields: [FieldState], completions: [Operation]) {
        let late = model.fields.filter { field in field.kind.target.map { waiting.contains($0.lowercased()) } ?? false }
        guard !late.isEmpty else { return (model, [], []) }
        let lateNames = Set(late.map(\.name))
        var early = model
        early.fields.removeAll { lateNames.contains($0.name) }
        early.indexes.removeAll { !lateNames.isDisjoint(with: $0.allFields) }
        early.uniqueTogether.removeAll { !lateNames.isDisjoint(with: $0) }
        early.constraints.removeAll { !lateNames.isDisjoint(with: $0.fields) }
        var completions: [Operation] = []
        if early.uniqueTogether != model.uniqueTogether {
            completions.append(.alterUniqueTogether(model: model.name, uniqueTogether: model.uniqueTogether))
        }
        completions += model.indexes.filter { !early.indexes.contains($0) }.map { .addIndex(model: model.name, index: $0) }
        completions += model.constraints.filter { !early.constraints.contains($0) }.map { .addConstraint(model: model.name, constraint: $0) }
        return (early, late, completions)
    }

    /// Django's `generate_deleted_models`: models only in the current state, those nothing else
    /// still points at first; a cycle is opened by removing the fields that close it.
    mutating func generateDeletedModels() throws {
        var doomed = current.models.keys.filter { target.models[$0] == nil }.sorted()
        var pointers = pointersAmong(doomed)
        while !doomed.isEmpty {
            if let next = doomed.firstIndex(where: { pointers[$0]?.isEmpty ?? true }) {
                let key = doomed.remove(at: next)
                for target in (current.models[key]?.fields ?? []).compactMap({ $0.kind.target?.lowercased() }) {
                    pointers[target]?.remove(key)
                }
                pointers[key] = nil
                if let model = current.models[key] { try emit(.deleteModel(name: model.name)) }
            } else {
                try removeFields(pointingAt: doomed[0], from: doomed)
                pointers[doomed[0]] = []
            }
        }
    }

    /// For each of `keys`, the others among them that point at it. Worked out once and kept up
    /// to date as models and fields go: asking it again at each step was cubic.
    func pointersAmong(_ keys: [String]) -> [String: Set<String>] {
        var pointers = Dictionary(uniqueKeysWithValues: keys.map { ($0, Set<String>()) })
        for other in keys {
            for field in current.models[other]?.fields ?? [] {
                if let target = field.kind.target?.lowercased(), target != other { pointers[target]?.insert(other) }
            }
        }
        return pointers
    }

    /// Removes the fields of the models in `keys` (other than `key`) that point at `key`, each
    /// after the indexes and unique-together sets that hold it.
    mutating func removeFields(pointingAt key: String, from keys: [String]) throws {
        for other in keys where other != key {
            guard let model = current.models[other] else { continue }
            for field in model.fields where field.kind.target?.lowercased() == key {
                try removeIndexesAndUniqueTogether(holding: field.name, of: other)
                try emit(.removeField(model: model.name, name: field.name))
            }
        }
    }

    /// Removes the indexes of model `key` over `field`, and its unique-together sets with it.
    mutating func removeIndexesAndUniqueTogether(holding field: String, of key: String) throws {
        guard let model = current.models[key] else { return }
        for index in model.indexes where index.allFields.contains(field) {
            try emit(.removeIndex(model: model.name, name: index.name))
        }
        for constraint in model.constraints where constraint.fields.contains(field) {
            try emit(.removeConstraint(model: model.name, name: constraint.name))
        }
        let remaining = model.uniqueTogether.filter { !$0.contains(field) }
        if remaining != model.uniqueTogether {
            try emit(.alterUniqueTogether(model: model.name, uniqueTogether: remaining))
        }
    }

    /// Whether two models have the same fields, relations to the old name counted as relations to the new.
    static func sameFields(_ old: ModelState, _ new: ModelState, renamedFrom oldKey: String, to newKey: String) -> Bool {
        guard old.fields.count == new.fields.count else { return false }
        return zip(old.fields, new.fields).allSatisfy { a, b in
            var a = a
            if let target = a.kind.target, target.lowercased() == oldKey { a.kind = a.kind.retargeted(to: newKey) }
            return a.name == b.name && a.null == b.null && a.primaryKey == b.primaryKey && a.unique == b.unique
                && a.dbIndex == b.dbIndex && a.defaultValue == b.defaultValue && a.kind.sameIgnoringTargetCase(b.kind)
                && a.fillDefault == b.fillDefault && a.dbColumn == b.dbColumn && a.dbComment == b.dbComment
                && a.relatedName == b.relatedName && a.choices == b.choices
        }
    }
}
