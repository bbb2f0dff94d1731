/// Compares two states and returns the operations that turn the first into the second
/// (Django's `MigrationAutodetector`). A pure function: it never touches a database and never
/// writes SQL. Questions (renames, one-off defaults) go to the `Questioner`.
///
/// Operations come in an order that every intermediate state is valid in:
/// model renames, table renames, field renames, index and unique-together removals,
/// created models (referenced ones first; a foreign key cycle is closed with a later AddField),
/// removed fields, added fields, altered fields, unique together, added indexes, and deleted
/// models last (referencing ones first). Each operation is applied to a working state as it is
/// made, and the result is checked to equal the target.
public struct Autodetector {
    public let from: ProjectState
    public let to: ProjectState

    public init(from: ProjectState, to: ProjectState) {
        self.from = from
        self.to = to
    }

    public func changes(questioner: Questioner) throws -> [Operation] {
        var current = from
        var operations: [Operation] = []
        let app = to.appLabel
        func emit(_ operation: Operation) throws {
            try operation.stateForwards(&current)
            operations.append(operation)
        }

        // Model renames: an added model with exactly the fields of a removed one.
        for key in to.models.keys.sorted() where current.models[key] == nil {
            let new = to.models[key]!
            let candidates = current.sortedModels.filter { to.models[$0.key] == nil && Self.sameFields($0, new, renamedFrom: $0.key, to: key) }
            for old in candidates where questioner.askRenameModel(app: app, from: old, to: new) {
                try emit(.renameModel(oldName: old.name, newName: new.name))
                break
            }
        }
        // Only the case of a name changed: a rename nobody needs to be asked about.
        for key in to.models.keys.sorted() {
            if let old = current.models[key], old.name != to.models[key]!.name {
                try emit(.renameModel(oldName: old.name, newName: to.models[key]!.name))
            }
        }
        let commonKeys = to.models.keys.filter { current.models[$0] != nil }.sorted()

        for key in commonKeys where current.models[key]!.table != to.models[key]!.table {
            try emit(.alterModelTable(name: to.models[key]!.name, table: to.models[key]!.table))
        }

        // Field renames: an added field with exactly the definition of a removed one.
        for key in commonKeys {
            let target = to.models[key]!
            for field in target.fields where current.models[key]!.field(field.name) == nil {
                let model = current.models[key]!
                let removed = model.fields.filter { target.field($0.name) == nil && $0.renamed(field.name) == field }
                for old in removed where questioner.askRenameField(app: app, model: target, from: old, to: field) {
                    try emit(.renameField(model: target.name, oldName: old.name, newName: field.name))
                    break
                }
            }
        }

        // Indexes and unique-together sets that go or change: removed before their fields go.
        for key in commonKeys {
            let target = to.models[key]!
            for index in current.models[key]!.indexes where !target.indexes.contains(index) {
                try emit(.removeIndex(model: target.name, name: index.name))
            }
            let kept = current.models[key]!.uniqueTogether.filter { target.uniqueTogether.contains($0) }
            if kept != current.models[key]!.uniqueTogether {
                try emit(.alterUniqueTogether(model: target.name, uniqueTogether: kept))
            }
        }

        // Created models.
        var deferred: [Operation] = []
        var pending = to.models.keys.filter { current.models[$0] == nil }.sorted()
        while !pending.isEmpty {
            let waiting = Set(pending)
            let next = pending.firstIndex { key in
                to.models[key]!.fields.allSatisfy { field in
                    guard let target = field.kind.target?.lowercased() else { return true }
                    return target == key || !waiting.contains(target)
                }
            } ?? 0
            let key = pending.remove(at: next)
            var model = to.models[key]!
            let waitingNow = Set(pending)
            let late = model.fields.filter { field in field.kind.target.map { waitingNow.contains($0.lowercased()) } ?? false }
            model.fields.removeAll { field in late.contains { $0.name == field.name } }
            let lateNames = Set(late.map(\.name))
            let lateIndexes = model.indexes.filter { !lateNames.isDisjoint(with: $0.fields) }
            let lateSets = model.uniqueTogether.filter { !lateNames.isDisjoint(with: $0) }
            model.indexes.removeAll { lateIndexes.contains($0) }
            model.uniqueTogether.removeAll { lateSets.contains($0) }
            try emit(.createModel(model))
            deferred += late.map { .addField(model: model.name, field: $0) }
        }
        for operation in deferred { try emit(operation) }

        // Removed fields (and fields that turn into or out of a many-to-many: removed, then added).
        for key in commonKeys {
            let target = to.models[key]!
            for field in current.models[key]!.fields {
                guard let wanted = target.field(field.name) else {
                    try emit(.removeField(model: target.name, name: field.name))
                    continue
                }
                if wanted.kind.isManyToMany != field.kind.isManyToMany {
                    try emit(.removeField(model: target.name, name: field.name))
                }
            }
        }

        // Added fields, in declaration order.
        for key in commonKeys {
            let target = to.models[key]!
            for field in target.fields where current.models[key]!.field(field.name) == nil {
                var oneOff: FieldDefault?
                if !field.null && field.defaultValue == nil && field.hasColumn && !field.kind.isAuto {
                    oneOff = try questioner.askNotNullAddition(app: app, model: target, field: field)
                }
                try emit(.addField(model: target.name, field: field, oneOffDefault: oneOff))
            }
        }

        // Altered fields.
        for key in commonKeys {
            let target = to.models[key]!
            for field in target.fields where current.models[key]!.field(field.name) != field {
                try emit(.alterField(model: target.name, field: field))
            }
        }

        // Unique together and indexes, now that every field is there.
        for key in commonKeys {
            let target = to.models[key]!
            if current.models[key]!.uniqueTogether != target.uniqueTogether {
                try emit(.alterUniqueTogether(model: target.name, uniqueTogether: target.uniqueTogether))
            }
            for index in target.indexes where !current.models[key]!.indexes.contains(index) {
                try emit(.addIndex(model: target.name, index: index))
            }
        }

        // Deleted models: those nothing else still points at first; a cycle is opened by removing
        // the fields that close it.
        var doomed = current.models.keys.filter { to.models[$0] == nil }.sorted()
        // For each doomed model, the other doomed models that point at it, kept up to date as
        // models and fields go (worked out once: asking it again at each step was cubic).
        var pointers: [String: Set<String>] = [:]
        for key in doomed { pointers[key] = [] }
        for other in doomed {
            for field in current.models[other]!.fields {
                if let target = field.kind.target?.lowercased(), target != other, pointers[target] != nil {
                    pointers[target]!.insert(other)
                }
            }
        }
        while !doomed.isEmpty {
            if let next = doomed.firstIndex(where: { pointers[$0]!.isEmpty }) {
                let key = doomed.remove(at: next)
                for field in current.models[key]!.fields {
                    if let target = field.kind.target?.lowercased(), pointers[target] != nil { pointers[target]!.remove(key) }
                }
                pointers[key] = nil
                try emit(.deleteModel(name: current.models[key]!.name))
            } else {
                let key = doomed[0]
                for other in doomed where other != key {
                    let model = current.models[other]!
                    for field in model.fields where field.kind.target?.lowercased() == key {
                        try emit(.removeField(model: model.name, name: field.name))
                    }
                }
                pointers[key] = []
            }
        }

        guard current == to else {
            throw AutodetectorError(description: "internal error: the operations found do not reach the declared models")
        }
        return operations
    }

    /// Whether two models have the same fields, relations to the old name counted as relations to the new.
    static func sameFields(_ old: ModelState, _ new: ModelState, renamedFrom oldKey: String, to newKey: String) -> Bool {
        guard old.fields.count == new.fields.count else { return false }
        return zip(old.fields, new.fields).allSatisfy { a, b in
            var a = a
            if let target = a.kind.target, target.lowercased() == oldKey { a.kind = a.kind.retargeted(to: newKey) }
            return a.name == b.name && a.null == b.null && a.primaryKey == b.primaryKey && a.unique == b.unique
                && a.dbIndex == b.dbIndex && a.defaultValue == b.defaultValue && a.kind.sameIgnoringTargetCase(b.kind)
        }
    }
}

public struct AutodetectorError: Error, CustomStringConvertible {
    public var description: String
}
