/// Django's `DurationField`: `INTERVAL`.
public struct DurationField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, null: Bool = false, unique: Bool = false, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .duration, null: null, unique: unique, dbIndex: dbIndex)
    }

    public struct Kind: FieldType {
        public static let typeName = "DurationField"
        public init() {}
        public init(parameters: FieldParameters) {}
        public func encode(parameters: inout FieldParameterWriter) {}
        public var columnType: ColumnType? { .interval }
    }
}

extension FieldKind {
    public static let duration = FieldKind(DurationField.Kind())
}

extension ColumnType {
    public static let interval = ColumnType(sql: "INTERVAL", postgreSQL: .init("interval"), cockroachDB: .init("interval"))
}
