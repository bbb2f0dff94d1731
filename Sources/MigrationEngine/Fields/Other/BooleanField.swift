/// `BOOLEAN`.
public struct BooleanField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, null: Bool = false, default value: Bool? = nil, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .boolean, null: null, dbIndex: dbIndex, defaultValue: value.map(FieldDefault.boolean))
    }

    public struct Kind: FieldType {
        public static let typeName = "BooleanField"
        public init() {}
        public init(parameters: FieldParameters) {}
        public func encode(parameters: inout FieldParameterWriter) {}
        public var columnType: ColumnType? { .boolean }

        public func defaultProblem(_ value: FieldDefault) -> String? {
            if case .boolean = value { return nil }
            return defaultDoesNotFit
        }

        public func parseDefault(_ text: String) -> FieldDefault? {
            switch text.lowercased() {
            case "true", "t", "yes", "1": return .boolean(true)
            case "false", "f", "no", "0": return .boolean(false)
            default: return nil
            }
        }
    }
}

extension FieldKind {
    public static let boolean = FieldKind(BooleanField.Kind())
}

extension ColumnType {
    public static let boolean = ColumnType(sql: "BOOLEAN", postgreSQL: .init("boolean"), cockroachDB: .init("boolean"))
}
