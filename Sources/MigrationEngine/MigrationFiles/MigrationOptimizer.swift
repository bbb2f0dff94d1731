/// Django's `MigrationOptimizer`: fewer operations with the same effect, for squashed and
/// optimized migrations. Each operation is tried against each later one: where two reduce
/// (create a model then add a field to it = one create; add a field then remove it = nothing),
/// the result replaces them, placed after the operations in between when the first could pass
/// through them all (Django's right reduction), else before them when they could all pass
/// through the second (its left reduction); an operation that refers to the first one's model
/// or field stops the search for it. Repeated until nothing changes.
public enum MigrationOptimizer {
    public static func optimize(_ operations: [Operation]) -> [Operation] {
        var current = operations
        while true {
            let next = optimizeOnce(current)
            if next == current { return current }
            current = next
        }
    }

    static func optimizeOnce(_ operations: [Operation]) -> [Operation] {
        for (i, operation) in operations.enumerated() {
            var right = true
            for j in operations.indices where j > i {
                let other = operations[j]
                if let result = reduce(operation, other) {
                    let between = Array(operations[(i + 1)..<j])
                    let rest = Array(operations[(j + 1)...])
                    if right { return Array(operations[..<i]) + between + result + rest }
                    if between.allSatisfy({ canPass($0, through: other) }) { return Array(operations[..<i]) + result + between + rest }
                    break
                }
                if !canPass(operation, through: other) { right = false }
            }
        }
        return operations
    }

    /// What `first` then `second` reduce to, or nil when they do not.
    static func reduce(_ first: Operation, _ second: Operation) -> [Operation]? {
        func same(_ a: String, _ b: String) -> Bool { a.lowercased() == b.lowercased() }
        switch (first, second) {
        case (.createModel(let model), .deleteModel(let name)) where same(model.name, name):
            return []
        case (.createModel(var model), .addField(let name, let field, _)) where same(model.name, name):
            model.fields.append(field)
            return [.createModel(model)]
        case (.createModel(var model), .alterField(let name, let field, _)) where same(model.name, name):
            guard let index = model.fields.firstIndex(where: { same($0.name, field.name) }) else { return nil }
            model.fields[index] = field
            return [.createModel(model)]
        case (.createModel(var model), .removeField(let name, let fieldName)) where same(model.name, name):
            guard !mentions(model, fieldName) else { return nil }
            model.fields.removeAll { same($0.name, fieldName) }
            return [.createModel(model)]
        case (.createModel(var model), .renameField(let name, let old, let new)) where same(model.name, name):
            guard !mentions(model, old), let index = model.fields.firstIndex(where: { same($0.name, old) }) else { return nil }
            model.fields[index] = model.fields[index].renamed(new)
            return [.createModel(model)]
        case (.addField(let model, let field, _), .removeField(let name, let fieldName)) where same(model, name) && same(field.name, fieldName):
            return []
        case (.addField(let model, _, let oneOff), .alterField(let name, let field, _)) where same(model, name) && sameField(first, field.name):
            return [.addField(model: model, field: field, oneOffDefault: field.null || field.defaultValue != nil ? nil : oneOff)]
        case (.addField(let model, let field, let oneOff), .renameField(let name, let old, let new)) where same(model, name) && same(field.name, old):
            return [.addField(model: model, field: field.renamed(new), oneOffDefault: oneOff)]
        case (.alterField(let model, let field, let fill), .alterField(let name, let later, let laterFill))
            where same(model, name) && same(field.name, later.name):
            // The first one's fill of existing NULLs still matters when the field ends NOT NULL.
            return [.alterField(model: name, field: later, oneOffDefault: laterFill ?? (later.null ? nil : fill))]
        case (.alterField(let model, let field, _), .removeField(let name, let fieldName)) where same(model, name) && same(field.name, fieldName):
            return [second]
        default:
            return nil
        }
    }

    static func sameField(_ operation: Operation, _ name: String) -> Bool {
        if case .addField(_, let field, _) = operation { return field.name.lowercased() == name.lowercased() }
        return false
    }

    /// Whether a model's indexes or unique_together name the field (then its removal or rename
    /// is left as it is).
    static func mentions(_ model: ModelState, _ field: String) -> Bool {
        let name = field.lowercased()
        return model.uniqueTogether.contains { $0.contains { $0.lowercased() == name } }
            || model.indexes.contains { $0.fields.contains { String($0.lowercased().drop { $0 == "-" }) == name } }
    }

    /// Whether `operation` may move across `other` (Django's `reduce` returning True): `other`
    /// does not refer to its model, or for a field operation, to its field.
    static func canPass(_ operation: Operation, through other: Operation) -> Bool {
        switch operation {
        case .addField(let model, let field, _), .alterField(let model, let field, _):
            return !references(other, model: model, field: field.name)
        case .removeField(let model, let name):
            return !references(other, model: model, field: name)
        case .renameField(let model, let old, let new):
            return !references(other, model: model, field: old) && !references(other, model: model, field: new)
        case .createModel(let model):
            return !references(other, model: model.name)
        case .renameModel(let old, let new):
            return !references(other, model: old) && !references(other, model: new)
        case .deleteModel(let name), .alterModelTable(let name, _), .alterUniqueTogether(let name, _), .removeIndex(let name, _),
             .addIndex(let name, _), .renameIndex(let name, _, _), .addConstraint(let name, _), .removeConstraint(let name, _),
             .alterModelTableComment(let name, _), .alterModelOptions(let name, _):
            return !references(other, model: name)
        }
    }

    /// The models an operation is about (lowercased), its relations' targets included.
    static func models(_ operation: Operation) -> [String] {
        switch operation {
        case .createModel(let model): return [model.name.lowercased()] + model.fields.compactMap { $0.kind.target?.lowercased() }
        case .deleteModel(let name), .alterModelTable(let name, _), .alterUniqueTogether(let name, _),
             .removeIndex(let name, _), .removeField(let name, _), .renameField(let name, _, _):
            return [name.lowercased()]
        case .addIndex(let name, _), .renameIndex(let name, _, _), .addConstraint(let name, _), .removeConstraint(let name, _),
             .alterModelTableComment(let name, _), .alterModelOptions(let name, _):
            return [name.lowercased()]
        case .renameModel(let old, let new): return [old.lowercased(), new.lowercased()]
        case .addField(let model, let field, _), .alterField(let model, let field, _):
            return [model.lowercased()] + (field.kind.target.map { [$0.lowercased()] } ?? [])
        }
    }

    static func references(_ operation: Operation, model: String) -> Bool { models(operation).contains(model.lowercased()) }

    /// Whether `operation` refers to `model.field`: an operation on that field, on the whole
    /// model (create, delete, rename, table, indexes, unique_together), or a relation to it.
    static func references(_ operation: Operation, model: String, field: String) -> Bool {
        let model = model.lowercased(), field = field.lowercased()
        switch operation {
        case .addField(let m, let f, _), .alterField(let m, let f, _):
            return (m.lowercased() == model && f.name.lowercased() == field) || f.kind.target?.lowercased() == model
        case .removeField(let m, let name): return m.lowercased() == model && name.lowercased() == field
        case .renameField(let m, let old, let new): return m.lowercased() == model && [old.lowercased(), new.lowercased()].contains(field)
        default: return references(operation, model: model)
        }
    }
}
