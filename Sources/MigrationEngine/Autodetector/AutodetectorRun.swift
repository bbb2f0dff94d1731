/// The autodetector's working state: the state so far (`current`, the start with every
/// operation found so far applied), the target, and the operations. Each step of
/// `Autodetector.steps` is a method of this, in the files beside it, and runs on its own in the
/// tests.
struct AutodetectorRun {
    let target: ProjectState
    let questioner: Questioner
    private(set) var current: ProjectState
    private(set) var operations: [Operation] = []
    /// Keys of the models `generateCreatedModels` made: they are not among the models kept.
    private(set) var created: Set<String> = []

    init(from: ProjectState, to: ProjectState, questioner: Questioner) {
        current = from
        target = to
        self.questioner = questioner
    }

    var app: String { target.appLabel }

    /// Applies an operation to `current` and keeps it.
    mutating func emit(_ operation: Operation) throws {
        try operation.stateForwards(&current)
        operations.append(operation)
    }

    /// A model in both states (after renames), as it is now and as it should be.
    struct KeptModel {
        var now: ModelState
        var wanted: ModelState
    }

    /// The key of each model in both states that was not created by this run, sorted.
    var keptKeys: [String] {
        target.models.keys.filter { current.models[$0] != nil && !created.contains($0) }.sorted()
    }

    /// The model `key` as it is now and as it should be (nil when it is not in both).
    func kept(_ key: String) -> KeptModel? {
        guard let now = current.models[key], let wanted = target.models[key] else { return nil }
        return KeptModel(now: now, wanted: wanted)
    }

    /// For each kept model, in key order: `body` with the model as it is when its turn comes.
    mutating func forEachKeptModel(_ body: (inout AutodetectorRun, KeptModel) throws -> Void) rethrows {
        for key in keptKeys {
            guard let model = kept(key) else { continue }
            try body(&self, model)
        }
    }

    mutating func markCreated(_ key: String) { created.insert(key) }
}
