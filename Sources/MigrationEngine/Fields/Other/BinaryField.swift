/// `BYTEA`.
public struct BinaryField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, null: Bool = false) {
        state = FieldState(name: name, kind: .binary, null: null)
    }

    public struct Kind: FieldType {
        public static let typeName = "BinaryField"
        public init() {}
        public init(parameters: FieldParameters) {}
        public func encode(parameters: inout FieldParameterWriter) {}
        public var columnType: ColumnType? { .bytea }
    }
}

extension FieldKind {
    public static let binary = FieldKind(BinaryField.Kind())
}

extension ColumnType {
    public static let bytea = ColumnType(sql: "BYTEA", postgreSQL: .init("bytea"), cockroachDB: .init("bytea"))
}
