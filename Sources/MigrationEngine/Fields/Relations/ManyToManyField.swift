/// A many-to-many relation: a join table `<app>_<model>_<name>` with columns `id`,
/// `<model>_id` and `<target>_id`, unique together (`TableLayout.joinTable`); or, with
/// `through:`, the user's own model holding a foreign key to each side, and no table of its own.
public struct ManyToManyField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, to model: String, through: String? = nil) {
        state = FieldState(name: name, kind: FieldKind(Kind(to: model, through: through)))
    }

    public struct Kind: FieldType {
        public static let typeName = "ManyToManyField"
        public var to: String
        /// Django's `through`: the model that is the join table.
        public var through: String?

        public init(to: String, through: String? = nil) {
            self.to = to
            self.through = through
        }
        public init(parameters: FieldParameters) throws {
            to = try parameters.decode(String.self, forKey: "to")
            through = try parameters.decodeIfPresent(String.self, forKey: "through")
        }
        public func encode(parameters: inout FieldParameterWriter) throws {
            try parameters.encode(to, forKey: "to")
            if let through { try parameters.encode(through, forKey: "through") }
        }

        /// No column in its model's table.
        public var columnType: ColumnType? { nil }
        public var relation: FieldRelation? { .manyToMany(to: to) }
        public func retargeted(to model: String) -> Kind { Kind(to: model, through: through) }

        public func problems(of field: FieldState, in model: ModelState, of state: ProjectState) -> [String] {
            var problems: [String] = []
            if state.model(to) == nil { problems.append("many-to-many to unknown model '\(to)'") }
            if field.null || field.unique || field.primaryKey || field.defaultValue != nil || field.dbIndex {
                problems.append("a many-to-many field takes no null, unique, primary key, index or default")
            }
            if let through {
                if let join = state.model(through) {
                    let targets = Set(join.fields.filter(\.kind.isForeignKey).compactMap { $0.kind.target?.lowercased() })
                    if !targets.contains(model.key) || !targets.contains(to.lowercased()) {
                        problems.append("through model '\(through)' needs a foreign key to \(model.name) and one to \(to)")
                    }
                } else {
                    problems.append("many-to-many through unknown model '\(through)'")
                }
                return problems
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
