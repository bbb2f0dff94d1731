/// The steps about the fields of the models kept.
extension AutodetectorRun {
    /// Django's `generate_renamed_fields`: a field only in the target with exactly the
    /// definition of one only in the current state is a rename, if the questioner says so.
    mutating func generateRenamedFields() throws {
        for key in keptKeys {
            guard let wanted = target.models[key] else { continue }
            for field in wanted.fields where current.models[key]?.field(field.name) == nil {
                let removed = (current.models[key]?.fields ?? []).filter { wanted.field($0.name) == nil && $0.renamed(field.name) == field }
                for old in removed where questioner.askRenameField(app: app, model: wanted, from: old, to: field) {
                    try emit(.renameField(model: wanted.name, oldName: old.name, newName: field.name))
                    break
                }
            }
        }
    }

    /// Django's `generate_removed_fields`: fields gone from the target, and fields that turn into
    /// or out of a many-to-many relation (removed here, added back by `generateAddedFields`).
    mutating func generateRemovedFields() throws {
        try forEachKeptModel { run, model in
            for field in model.now.fields {
                let wanted = model.wanted.field(field.name)
                if wanted == nil || wanted?.kind.isManyToMany != field.kind.isManyToMany {
                    try run.emit(.removeField(model: model.wanted.name, name: field.name))
                }
            }
        }
    }

    /// Django's `generate_added_fields`: fields new in the target, in declaration order. A NOT
    /// NULL column without a default asks the questioner for a value for existing rows.
    mutating func generateAddedFields() throws {
        for key in keptKeys {
            guard let wanted = target.models[key] else { continue }
            for field in wanted.fields where current.models[key]?.field(field.name) == nil {
                var oneOff: FieldDefault?
                if !field.null && field.defaultValue == nil && field.hasColumn && !field.kind.isAuto {
                    // Django's `default` fills the existing rows without asking.
                    oneOff = try field.fillDefault ?? questioner.askNotNullAddition(app: app, model: wanted, field: field)
                }
                try emit(.addField(model: wanted.name, field: field, oneOffDefault: oneOff))
            }
        }
    }

    /// Django's `generate_altered_fields`: fields whose definition differs. A nullable field
    /// turning NOT NULL without a lasting default asks for a value for the existing NULLs (Django's
    /// `ask_not_null_alteration`), unless it has Django's `default` (`fillDefault`).
    mutating func generateAlteredFields() throws {
        for key in keptKeys {
            guard let wanted = target.models[key] else { continue }
            for field in wanted.fields {
                guard let now = current.models[key]?.field(field.name), now != field else { continue }
                var oneOff: FieldDefault?
                if now.null && !field.null && field.hasColumn && field.defaultValue == nil {
                    oneOff = try field.fillDefault ?? questioner.askNotNullAlteration(app: app, model: wanted, field: field)
                }
                try emit(.alterField(model: wanted.name, field: field, oneOffDefault: oneOff))
            }
        }
    }
}
