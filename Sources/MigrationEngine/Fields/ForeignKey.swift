/// A foreign key: column `<name>_id` referencing the target's primary key, indexed.
public struct ForeignKey: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, to model: String, onDelete: OnDelete, null: Bool = false, unique: Bool = false) {
        state = FieldState(name: name, kind: .foreignKey(to: model, onDelete: onDelete), null: null, unique: unique)
    }

    /// The column's type is the reference type of the target's primary key (`TableLayout`).
    public struct Kind: FieldType {
        public static let typeName = "ForeignKey"
        public var to: String
        public var onDelete: OnDelete

        public init(to: String, onDelete: OnDelete) {
            self.to = to
            self.onDelete = onDelete
        }

        public init(parameters: FieldParameters) throws {
            to = try parameters.decode(String.self, forKey: "to")
            onDelete = try parameters.decode(OnDelete.self, forKey: "on_delete")
        }

        public func encode(parameters: inout FieldParameterWriter) throws {
            try parameters.encode(to, forKey: "to")
            try parameters.encode(onDelete, forKey: "on_delete")
        }

        public var columnType: ColumnType? { nil }
        public var relation: FieldRelation? { .foreignKey(to: to, onDelete: onDelete) }
        public func retargeted(to model: String) -> Kind { Kind(to: model, onDelete: onDelete) }

        public func problems(of field: FieldState, in model: ModelState, of state: ProjectState) -> [String] {
            var problems: [String] = []
            if let target = state.model(to) {
                if state.primaryKey(of: target)?.kind.isManyToMany ?? false { problems.append("target has no usable primary key") }
            } else {
                problems.append("foreign key to unknown model '\(to)'")
            }
            if onDelete == .setNull && !field.null { problems.append("on delete SET NULL needs null: true") }
            return problems
        }
    }
}

/// What ON DELETE does for a foreign key.
public enum OnDelete: String, Codable, Sendable, CaseIterable {
    case cascade = "CASCADE"
    case setNull = "SET NULL"
    case restrict = "RESTRICT"
}

extension FieldKind {
    public static func foreignKey(to model: String, onDelete: OnDelete) -> FieldKind {
        FieldKind(ForeignKey.Kind(to: model, onDelete: onDelete))
    }
}
