/// A many-to-many relation: a join table `<app>_<model>_<name>` with columns `id`,
/// `<model>_id` and `<target>_id`, unique together (`TableLayout.joinTable`).
public struct ManyToManyField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, to model: String) {
        state = FieldState(name: name, kind: .manyToMany(to: model))
    }

    public struct Kind: FieldType {
        public static let typeName = "ManyToManyField"
        public var to: String

        public init(to: String) { self.to = to }
        public init(parameters: FieldParameters) throws { to = try parameters.decode(String.self, forKey: "to") }
        public func encode(parameters: inout FieldParameterWriter) throws { try parameters.encode(to, forKey: "to") }

        /// No column in its model's table.
        public var columnType: ColumnType? { nil }
        public var relation: FieldRelation? { .manyToMany(to: to) }
        public func retargeted(to model: String) -> Kind { Kind(to: model) }

        public func problems(of field: FieldState, in model: ModelState, of state: ProjectState) -> [String] {
            var problems: [String] = []
            if state.model(to) == nil { problems.append("many-to-many to unknown model '\(to)'") }
            if field.null || field.unique || field.primaryKey || field.defaultValue != nil || field.dbIndex {
                problems.append("a many-to-many field takes no null, unique, primary key, index or default")
            }
            let limit = ModelValidation.maxIdentifierLength
            if model.key.count + field.name.count + state.appLabel.count + 2 > limit {
                problems.append("join table name is longer than \(limit) characters")
            }
            return problems
        }
    }
}

extension FieldKind {
    public static func manyToMany(to model: String) -> FieldKind { FieldKind(ManyToManyField.Kind(to: model)) }
}
