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
            if onDelete == .setDefault && !field.null { problems.append("on delete SET DEFAULT needs null: true") }
            return problems
        }

        /// A one-off value typed at the prompt for existing rows (a foreign key takes no lasting
        /// default): the target's key is a number, a UUID or text, written as typed (a number)
        /// or quoted, and the server casts it to the key's type.
        public func parseDefault(_ text: String) -> FieldDefault? {
            guard !text.isEmpty else { return nil }
            return Int64(text).map(FieldDefault.integer) ?? .string(text)
        }

        public var defaultPromptHint: String { ", the primary key of an existing \(to)" }
    }
}

/// What deleting a referenced row does, as Django's `on_delete`, and the `ON DELETE` rule that
/// makes the database do it (this project has no ORM collector: every rule is the database's).
/// The raw value is the name in migration files.
public enum OnDelete: String, Codable, Sendable, CaseIterable {
    /// Deletes the referencing rows.
    case cascade = "CASCADE"
    /// Sets the referencing column to NULL (needs `null: true`).
    case setNull = "SET NULL"
    /// Refuses the delete while rows refer to it.
    case restrict = "RESTRICT"
    /// Django's `PROTECT`: the delete is refused while rows refer to it, by the database's
    /// `RESTRICT` (Django raises `ProtectedError` before asking the database).
    case protect = "PROTECT"
    /// Sets the referencing column to its database default (`ON DELETE SET DEFAULT`). A foreign
    /// key takes no lasting default, so that is NULL: it needs `null: true`.
    case setDefault = "SET DEFAULT"
    /// Django's `DO_NOTHING`: no action of its own, `ON DELETE NO ACTION`: the database still
    /// refuses a delete that would leave a dangling reference (checked at the statement's end,
    /// foreign keys being immediate here).
    case doNothing = "DO_NOTHING"

    /// The rule in `ON DELETE ...`, and as `information_schema.referential_constraints` shows it.
    public var sql: String {
        switch self {
        case .cascade: return "CASCADE"
        case .setNull: return "SET NULL"
        case .restrict, .protect: return "RESTRICT"
        case .setDefault: return "SET DEFAULT"
        case .doNothing: return "NO ACTION"
        }
    }
}

extension FieldKind {
    public static func foreignKey(to model: String, onDelete: OnDelete) -> FieldKind {
        FieldKind(ForeignKey.Kind(to: model, onDelete: onDelete))
    }
}
