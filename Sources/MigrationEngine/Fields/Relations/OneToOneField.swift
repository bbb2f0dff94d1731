/// Django's `OneToOneField`: a foreign key (`<name>_id` referencing the target's primary key)
/// that is unique, so its unique index stands for the plain one a foreign key gets.
public struct OneToOneField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, to model: String, onDelete: OnDelete, null: Bool = false, primaryKey: Bool = false) {
        state = FieldState(name: name, kind: .oneToOne(to: model, onDelete: onDelete), null: null, primaryKey: primaryKey)
    }

    public struct Kind: FieldType {
        public static let typeName = "OneToOneField"
        public var to: String
        public var onDelete: OnDelete

        public init(to: String, onDelete: OnDelete) {
            self.to = to
            self.onDelete = onDelete
        }

        /// Recorded as a foreign key is (`to`, `on_delete`).
        public init(parameters: FieldParameters) throws {
            let key = try ForeignKey.Kind(parameters: parameters)
            self.init(to: key.to, onDelete: key.onDelete)
        }

        public func encode(parameters: inout FieldParameterWriter) throws { try asForeignKey.encode(parameters: &parameters) }

        public var columnType: ColumnType? { nil }
        public var relation: FieldRelation? { .foreignKey(to: to, onDelete: onDelete) }
        public func retargeted(to model: String) -> Kind { Kind(to: model, onDelete: onDelete) }
        public var impliesUnique: Bool { true }

        private var asForeignKey: ForeignKey.Kind { ForeignKey.Kind(to: to, onDelete: onDelete) }
        public func problems(of field: FieldState, in model: ModelState, of state: ProjectState) -> [String] {
            asForeignKey.problems(of: field, in: model, of: state)
        }
        public func parseDefault(_ text: String) -> FieldDefault? { asForeignKey.parseDefault(text) }
        public var defaultPromptHint: String { asForeignKey.defaultPromptHint }
    }
}

extension FieldKind {
    public static func oneToOne(to model: String, onDelete: OnDelete) -> FieldKind {
        FieldKind(OneToOneField.Kind(to: model, onDelete: onDelete))
    }
}
