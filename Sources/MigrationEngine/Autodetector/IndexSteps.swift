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

    /// Indexes of model `key` that are not in the target as they are: one the target has under
    /// another name, with the same definition, is renamed (Django's `RenameIndex`); the others go.
    /// So do its constraints not in the target as they are (Django's `generate_removed_constraints`).
    mutating func generateRemovedIndexes(of key: String) throws {
        guard let model = kept(key) else { return }
        for index in model.now.indexes where !model.wanted.indexes.contains(index) {
            let renamed = model.wanted.indexes.first { wanted in
                var same = wanted
                same.name = index.name
                return same == index && !model.now.indexes.contains { $0.name == wanted.name }
            }
            if let renamed {
                try emit(.renameIndex(model: model.wanted.name, oldName: index.name, newName: renamed.name))
            } else {
                try emit(.removeIndex(model: model.wanted.name, name: index.name))
            }
        }
        for constraint in model.now.constraints where !model.wanted.constraints.contains(constraint) {
            try emit(.removeConstraint(model: model.wanted.name, name: constraint.name))
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

    /// The target's indexes of model `key` that are not there yet, then its constraints
    /// (Django's `generate_added_constraints`).
    mutating func generateAddedIndexes(of key: String) throws {
        guard let model = kept(key) else { return }
        for index in model.wanted.indexes where !model.now.indexes.contains(index) {
            try emit(.addIndex(model: model.wanted.name, index: index))
        }
        for constraint in model.wanted.constraints where !model.now.constraints.contains(constraint) {
            try emit(.addConstraint(model: model.wanted.name, constraint: constraint))
        }
    }
}
