/// An operation as its JSON record in a migration file's header (`-- operation: {...}`): Django's
/// class name as `type`, its arguments by their Django names.
extension Operation: Codable {
    enum CodingKeys: String, CodingKey {
        case type, model, name, oldName = "old_name", newName = "new_name", modelName = "model_name"
        case field, oneOffDefault = "one_off_default", index, uniqueTogether = "unique_together", table = "db_table"
        case constraint, tableComment = "table_comment", managed
    }

    /// The Django class name, the `type` of the JSON record.
    public var typeName: String {
        switch self {
        case .createModel: return "CreateModel"
        case .deleteModel: return "DeleteModel"
        case .renameModel: return "RenameModel"
        case .alterModelTable: return "AlterModelTable"
        case .addField: return "AddField"
        case .removeField: return "RemoveField"
        case .alterField: return "AlterField"
        case .renameField: return "RenameField"
        case .addIndex: return "AddIndex"
        case .removeIndex: return "RemoveIndex"
        case .alterUniqueTogether: return "AlterUniqueTogether"
        case .addConstraint: return "AddConstraint"
        case .removeConstraint: return "RemoveConstraint"
        case .renameIndex: return "RenameIndex"
        case .alterModelTableComment: return "AlterModelTableComment"
        case .alterModelOptions: return "AlterModelOptions"
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        func string(_ key: CodingKeys) throws -> String { try c.decode(String.self, forKey: key) }
        switch type {
        case "CreateModel": self = .createModel(try c.decode(ModelState.self, forKey: .model))
        case "DeleteModel": self = .deleteModel(name: try string(.name))
        case "RenameModel": self = .renameModel(oldName: try string(.oldName), newName: try string(.newName))
        case "AlterModelTable": self = .alterModelTable(name: try string(.name), table: try c.decodeIfPresent(String.self, forKey: .table))
        case "AddField":
            self = .addField(model: try string(.modelName), field: try c.decode(FieldState.self, forKey: .field),
                             oneOffDefault: try c.decodeIfPresent(FieldDefault.self, forKey: .oneOffDefault))
        case "RemoveField": self = .removeField(model: try string(.modelName), name: try string(.name))
        case "AlterField":
            self = .alterField(model: try string(.modelName), field: try c.decode(FieldState.self, forKey: .field),
                               oneOffDefault: try c.decodeIfPresent(FieldDefault.self, forKey: .oneOffDefault))
        case "RenameField":
            self = .renameField(model: try string(.modelName), oldName: try string(.oldName), newName: try string(.newName))
        case "AddIndex": self = .addIndex(model: try string(.modelName), index: try c.decode(IndexState.self, forKey: .index))
        case "RemoveIndex": self = .removeIndex(model: try string(.modelName), name: try string(.name))
        case "AlterUniqueTogether":
            self = .alterUniqueTogether(model: try string(.modelName), uniqueTogether: try c.decode([[String]].self, forKey: .uniqueTogether))
        case "AddConstraint":
            self = .addConstraint(model: try string(.modelName), constraint: try c.decode(ConstraintState.self, forKey: .constraint))
        case "RemoveConstraint": self = .removeConstraint(model: try string(.modelName), name: try string(.name))
        case "RenameIndex":
            self = .renameIndex(model: try string(.modelName), oldName: try string(.oldName), newName: try string(.newName))
        case "AlterModelTableComment":
            self = .alterModelTableComment(name: try string(.name), comment: try c.decodeIfPresent(String.self, forKey: .tableComment))
        case "AlterModelOptions": self = .alterModelOptions(name: try string(.name), managed: try c.decode(Bool.self, forKey: .managed))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown operation type \(type)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(typeName, forKey: .type)
        switch self {
        case .createModel(let model): try c.encode(model, forKey: .model)
        case .deleteModel(let name): try c.encode(name, forKey: .name)
        case .renameModel(let old, let new):
            try c.encode(old, forKey: .oldName)
            try c.encode(new, forKey: .newName)
        case .alterModelTable(let name, let table):
            try c.encode(name, forKey: .name)
            try c.encodeIfPresent(table, forKey: .table)
        case .addField(let model, let field, let value):
            try c.encode(model, forKey: .modelName)
            try c.encode(field, forKey: .field)
            try c.encodeIfPresent(value, forKey: .oneOffDefault)
        case .removeField(let model, let name):
            try c.encode(model, forKey: .modelName)
            try c.encode(name, forKey: .name)
        case .alterField(let model, let field, let value):
            try c.encode(model, forKey: .modelName)
            try c.encode(field, forKey: .field)
            try c.encodeIfPresent(value, forKey: .oneOffDefault)
        case .renameField(let model, let old, let new):
            try c.encode(model, forKey: .modelName)
            try c.encode(old, forKey: .oldName)
            try c.encode(new, forKey: .newName)
        case .addIndex(let model, let index):
            try c.encode(model, forKey: .modelName)
            try c.encode(index, forKey: .index)
        case .removeIndex(let model, let name):
            try c.encode(model, forKey: .modelName)
            try c.encode(name, forKey: .name)
        case .alterUniqueTogether(let model, let sets):
            try c.encode(model, forKey: .modelName)
            try c.encode(sets, forKey: .uniqueTogether)
        case .addConstraint(let model, let constraint):
            try c.encode(model, forKey: .modelName)
            try c.encode(constraint, forKey: .constraint)
        case .removeConstraint(let model, let name):
            try c.encode(model, forKey: .modelName)
            try c.encode(name, forKey: .name)
        case .renameIndex(let model, let old, let new):
            try c.encode(model, forKey: .modelName)
            try c.encode(old, forKey: .oldName)
            try c.encode(new, forKey: .newName)
        case .alterModelTableComment(let name, let comment):
            try c.encode(name, forKey: .name)
            try c.encodeIfPresent(comment, forKey: .tableComment)
        case .alterModelOptions(let name, let managed):
            try c.encode(name, forKey: .name)
            try c.encode(managed, forKey: .managed)
        }
    }
}
