/// Compares two states and returns the operations that turn the first into the second
/// (Django's `MigrationAutodetector`). A pure function: it never touches a database and never
/// writes SQL. Questions (renames, one-off defaults) go to the `Questioner`.
///
/// The work is a list of steps (`steps`), each named after the `generate_*` method of Django's
/// autodetector that does the same. Each operation is applied to a working state as it is made
/// (`AutodetectorRun`), and the result is checked to equal the target.
///
/// The steps run in Django's order where every intermediate state is valid without sorting.
/// Django generates deleted models before created ones and table renames last, then sorts the
/// operations by their dependencies; the order here is one that needs no sort: model renames,
/// table renames, field renames, index and unique-together removals, created models (referenced
/// ones first; a foreign key cycle is closed with a later AddField), removed fields, added
/// fields, altered fields, unique together and added indexes, and deleted models last
/// (referencing ones first, as Django's sort puts them).
public struct Autodetector {
    public let from: ProjectState
    public let to: ProjectState

    public init(from: ProjectState, to: ProjectState) {
        self.from = from
        self.to = to
    }

    /// One step: the operations of one sort, for every model.
    struct Step: Sendable {
        /// Django's name for it.
        let name: String
        let run: @Sendable (inout AutodetectorRun) throws -> Void
    }

    static let steps: [Step] = [
        Step(name: "generate_renamed_models") { try $0.generateRenamedModels() },
        // With Django's generate_altered_db_table_comment, which changes no table name either.
        Step(name: "generate_altered_db_table") { try $0.generateAlteredDbTable(); try $0.generateAlteredDbTableComment() },
        Step(name: "generate_renamed_fields") { try $0.generateRenamedFields() },
        // With Django's generate_renamed_indexes and generate_removed_constraints.
        Step(name: "generate_removed_indexes, generate_removed_altered_unique_together") { try $0.generateRemovedIndexesAndUniqueTogether() },
        Step(name: "generate_created_models") { try $0.generateCreatedModels() },
        Step(name: "generate_removed_fields") { try $0.generateRemovedFields() },
        Step(name: "generate_added_fields") { try $0.generateAddedFields() },
        Step(name: "generate_altered_fields") { try $0.generateAlteredFields() },
        // With Django's generate_added_constraints.
        Step(name: "generate_altered_unique_together, generate_added_indexes") { try $0.generateAddedUniqueTogetherAndIndexes() },
        Step(name: "generate_deleted_models") { try $0.generateDeletedModels() },
    ]

    public func changes(questioner: Questioner) throws -> [Operation] {
        var run = AutodetectorRun(from: from, to: to, questioner: questioner)
        for step in Self.steps { try step.run(&run) }
        guard run.current == to else {
            throw AutodetectorError(description: "internal error: the operations found do not reach the declared models")
        }
        return run.operations
    }
}

public struct AutodetectorError: Error, CustomStringConvertible {
    public var description: String
}
