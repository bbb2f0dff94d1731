/// `TIMESTAMPTZ`; `defaultNow` fills it with the insert time (`DEFAULT now()`).
public struct DateTimeField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, null: Bool = false, defaultNow: Bool = false, unique: Bool = false, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .dateTime, null: null, unique: unique, dbIndex: dbIndex,
                           defaultValue: defaultNow ? .now : nil)
    }

    public struct Kind: FieldType {
        public static let typeName = "DateTimeField"
        public init() {}
        public init(parameters: FieldParameters) {}
        public func encode(parameters: inout FieldParameterWriter) {}
        public var columnType: ColumnType? { .timestampTZ }

        public func defaultProblem(_ value: FieldDefault) -> String? { value == .now ? nil : defaultDoesNotFit }

        /// Only "now": a fixed instant typed at a prompt is rarely what anyone means.
        public func parseDefault(_ text: String) -> FieldDefault? { text.lowercased() == "now" ? .now : nil }
        public var defaultPromptHint: String { ", \"now\"" }
    }
}

extension FieldKind {
    public static let dateTime = FieldKind(DateTimeField.Kind())
}

extension ColumnType {
    public static let timestampTZ = ColumnType(sql: "TIMESTAMPTZ", postgreSQL: .init("timestamp with time zone"),
                                               cockroachDB: .init("timestamp with time zone"))
}
