/// `DATE`; `defaultNow` fills it with the day of the insert (`DEFAULT CURRENT_DATE`).
public struct DateField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, null: Bool = false, defaultNow: Bool = false, unique: Bool = false, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .date, null: null, unique: unique, dbIndex: dbIndex, defaultValue: defaultNow ? .now : nil)
    }

    public struct Kind: FieldType {
        public static let typeName = "DateField"
        public init() {}
        public init(parameters: FieldParameters) {}
        public func encode(parameters: inout FieldParameterWriter) {}
        public var columnType: ColumnType? { .date }
        public func defaultProblem(_ value: FieldDefault) -> String? { value == .now ? nil : defaultDoesNotFit }
        public func defaultSQL(_ value: FieldDefault) -> String { value == .now ? "CURRENT_DATE" : value.sql }
        public func parseDefault(_ text: String) -> FieldDefault? { ["now", "today"].contains(text.lowercased()) ? .now : nil }
        public var defaultPromptHint: String { ", \"now\"" }
    }
}

extension FieldKind {
    public static let date = FieldKind(DateField.Kind())
}

extension ColumnType {
    public static let date = ColumnType(sql: "DATE", postgreSQL: .init("date"), cockroachDB: .init("date"))
}
