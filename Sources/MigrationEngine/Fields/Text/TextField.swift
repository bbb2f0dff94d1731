/// `TEXT`.
public struct TextField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, null: Bool = false, default value: String? = nil, unique: Bool = false, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .text, null: null, unique: unique, dbIndex: dbIndex,
                           defaultValue: value.map(FieldDefault.string))
    }

    public struct Kind: FieldType {
        public static let typeName = "TextField"
        public init() {}
        public init(parameters: FieldParameters) {}
        public func encode(parameters: inout FieldParameterWriter) {}
        public var columnType: ColumnType? { .text }

        public func defaultProblem(_ value: FieldDefault) -> String? {
            if case .string = value { return nil }
            return defaultDoesNotFit
        }

        public func parseDefault(_ text: String) -> FieldDefault? { .string(text) }
    }
}

extension FieldKind {
    public static let text = FieldKind(TextField.Kind())
}

extension ColumnType {
    public static let text = ColumnType(sql: "TEXT", postgreSQL: .init("text"), cockroachDB: .init("text"))
}
