#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `makemigrations --merge` (Django's `handle_merge`): for an app with two leaves (two
/// branches' migrations after a common ancestor), a migration that depends on both and does
/// nothing in the database, so that the graph has one leaf again.
///
/// Each branch's operations are printed. When the branches touch different models and fields
/// the merge is written at once; when they touch the same field (or one creates, deletes or
/// renames a model the other changes), the questioner is asked, as Django asks every time:
/// `--no-input` refuses, since applying both in either order may not give the same schema.
enum MergeMigration {
    static func run(_ loaded: LoadedMigrations, app: String, directory: URL, options: MakeMigrations.Options, questioner: Questioner,
                    output: (String) -> Void) throws -> MakeMigrations.Outcome {
        let leaves = loaded.graph.leafNodes(app: app)
        let ancestries = try leaves.map { leaf in try loaded.graph.forwardsPlan(leaf).filter { $0.app == app } }
        var common = 0
        while ancestries.allSatisfy({ $0.count > common }), Set(ancestries.map { $0[common] }).count == 1 { common += 1 }
        guard common > 0 else {
            throw MakeMigrationsError(description: "Could not find common ancestor of \(leaves.map(\.name).joined(separator: ", ")).")
        }
        let branches = ancestries.map { ancestry in ancestry[common...].compactMap { loaded.byKey[$0] } }
        output("Merging \(app)")
        for (leaf, branch) in zip(leaves, branches) {
            output("  Branch \(leaf.name)")
            for operation in branch.flatMap(\.operations) { output("    - \(operation.description)") }
        }
        let overlaps = overlapping(branches.map { $0.flatMap(\.operations) })
        if !overlaps.isEmpty {
            guard try questioner.askMerge(app: app, overlapping: overlaps) else { return .noChanges }
        }
        let numbers = leaves.compactMap { loaded.byKey[$0]?.number }
        let leafNames = leaves.map(\.name).sorted().joined(separator: "_")
        // Django puts a timestamp in a name that would be too long; the date would make the
        // file differ from run to run, so the name is then plain `merge`.
        let suffix = options.name ?? (leafNames.count > 47 ? "merge" : "merge_\(leafNames)")
        let name = fourDigits((numbers.max() ?? 0) + 1) + "_" + suffix
        let text = try MigrationFile.render(app: app, name: name, dependencies: leaves, operations: [],
                                            state: ProjectState(appLabel: app),
                                            emptyNote: "Merge of \(leaves.map(\.name).joined(separator: ", ")): nothing to do in the database.")
        // The merged graph must give one state: two branches adding the same field do not.
        var merged = loaded.graph
        try merged.addNode(MigrationKey(app: app, name: name))
        for leaf in leaves { merged.addDependency(MigrationKey(app: app, name: name), on: leaf) }
        do {
            _ = try MigrationLoader.replay(merged.fullPlan().filter { $0.app == app }.compactMap { loaded.byKey[$0] }, appLabel: app)
        } catch {
            throw MakeMigrationsError(description: "The branches cannot be merged as they are: \(error). Change one branch's migration (before it is applied anywhere) so that they agree, then merge.")
        }
        let file = directory.appendingPathComponent(name + ".sql")
        if !options.dryRun && !options.check {
            try MakeMigrations.write(text, to: file, in: directory)
            output("")
            output("Created new merge migration \(MakeMigrations.displayPath(file))")
        } else if options.verbosity >= 3 {
            output("Full merge migrations file '\(name).sql':")
            output(text)
        }
        return .migration(fileName: name + ".sql", text: text, operations: [])
    }

    /// What more than one branch touches, as `model.field` (or `model` for the whole model),
    /// sorted: empty when the branches can be applied in either order.
    static func overlapping(_ branches: [[Operation]]) -> [String] {
        let touched = branches.map { Set($0.flatMap(touches)) }
        var result: Set<String> = []
        for (i, a) in touched.enumerated() {
            for b in touched[(i + 1)...] {
                for x in a {
                    for y in b where x.model == y.model && (x.field == nil || y.field == nil || x.field == y.field) {
                        result.insert(x.field == nil || y.field == nil ? x.model : "\(x.model).\(x.field!)")
                    }
                }
            }
        }
        return result.sorted()
    }

    struct Touch: Hashable {
        var model: String
        /// nil: the whole model (created, deleted, renamed, its table or unique_together changed).
        var field: String?
    }

    static func touches(_ operation: Operation) -> [Touch] {
        switch operation {
        case .createModel(let model): return [Touch(model: model.key, field: nil)]
        case .deleteModel(let name): return [Touch(model: name.lowercased(), field: nil)]
        case .renameModel(let old, let new): return [Touch(model: old.lowercased(), field: nil), Touch(model: new.lowercased(), field: nil)]
        case .alterModelTable(let name, _), .alterUniqueTogether(let name, _): return [Touch(model: name.lowercased(), field: nil)]
        case .addField(let model, let field, _), .alterField(let model, let field, _):
            return [Touch(model: model.lowercased(), field: field.name.lowercased())]
        case .removeField(let model, let name): return [Touch(model: model.lowercased(), field: name.lowercased())]
        case .renameField(let model, let old, let new):
            return [Touch(model: model.lowercased(), field: old.lowercased()), Touch(model: model.lowercased(), field: new.lowercased())]
        case .addIndex(let model, let index): return [Touch(model: model.lowercased(), field: "index \(index.name.lowercased())")]
        case .removeIndex(let model, let name): return [Touch(model: model.lowercased(), field: "index \(name.lowercased())")]
        case .renameIndex(let model, let old, let new):
            return [Touch(model: model.lowercased(), field: "index \(old.lowercased())"), Touch(model: model.lowercased(), field: "index \(new.lowercased())")]
        case .addConstraint(let model, let constraint):
            return [Touch(model: model.lowercased(), field: "constraint \(constraint.name.lowercased())")]
        case .removeConstraint(let model, let name): return [Touch(model: model.lowercased(), field: "constraint \(name.lowercased())")]
        case .alterModelTableComment(let name, _), .alterModelOptions(let name, _): return [Touch(model: name.lowercased(), field: nil)]
        }
    }
}

/// The merge question, beside the other questions of Questioner.swift.
extension NonInteractiveQuestioner {
    public func askMerge(app: String, overlapping: [String]) throws -> Bool {
        throw QuestionerError(description: """
            The branches to merge in app '\(app)' both change \(overlapping.joined(separator: ", ")): merging may not \
            give the same schema in either order, and --no-input does not guess. Run makemigrations --merge on a \
            terminal to confirm, or change one branch so that they touch different fields.
            """)
    }
}

extension InteractiveQuestioner {
    public func askMerge(app: String, overlapping: [String]) throws -> Bool {
        write("Both branches change \(overlapping.joined(separator: ", ")).\n")
        return yesNo("Merging will only work if the operations printed above do not conflict\n"
            + "with each other (working on different fields or models)\n"
            + "Should these migration branches be merged? [y/N] ")
    }
}

extension ScriptedQuestioner {
    public func askMerge(app: String, overlapping: [String]) throws -> Bool {
        try fallback.askMerge(app: app, overlapping: overlapping)
    }
}
