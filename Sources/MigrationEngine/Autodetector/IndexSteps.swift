/// The steps about indexes and unique-together sets of the models kept: those that go or change
/// are removed before their fields go, and the new ones added once every field is there.
extension AutodetectorRun {
    /// Django's `generate_removed_indexes` and `generate_removed_altered_unique_together`, model
    /// by model.
    mutating func generateRemovedIndexesAndUniqueTogether() throws {
        for key in keptKeys {
            try generateRemovedIndexes(of: key)
            try generateRemovedUniqueTogether(of: key)
        }
    }

    /// Indexes of model `key` that are not in the target as they are.
    mutating func generateRemovedIndexes(of key: String) throws {
        guard let model = kept(key) else { return }
        for index in model.now.indexes where !model.wanted.indexes.contains(index) {
            try emit(.removeIndex(model: model.wanted.name, name: index.name))
        }
    }

    /// The unique-together sets of model `key` reduced to those the target keeps.
    mutating func generateRemovedUniqueTogether(of key: String) throws {
        guard let model = kept(key) else { return }
        let remaining = model.now.uniqueTogether.filter { model.wanted.uniqueTogether.contains($0) }
        if remaining != model.now.uniqueTogether {
            try emit(.alterUniqueTogether(model: model.wanted.name, uniqueTogether: remaining))
        }
    }

    /// Django's `generate_altered_unique_together` and `generate_added_indexes`, model by model.
    mutating func generateAddedUniqueTogetherAndIndexes() throws {
        for key in keptKeys {
            try generateAlteredUniqueTogether(of: key)
            try generateAddedIndexes(of: key)
        }
    }

    /// The target's unique-together sets of model `key`, when they differ.
    mutating func generateAlteredUniqueTogether(of key: String) throws {
        guard let model = kept(key), model.now.uniqueTogether != model.wanted.uniqueTogether else { return }
        try emit(.alterUniqueTogether(model: model.wanted.name, uniqueTogether: model.wanted.uniqueTogether))
    }

    /// The target's indexes of model `key` that are not there yet.
    mutating func generateAddedIndexes(of key: String) throws {
        guard let model = kept(key) else { return }
        for index in model.wanted.indexes where !model.now.indexes.contains(index) {
            try emit(.addIndex(model: model.wanted.name, index: index))
        }
    }
}
