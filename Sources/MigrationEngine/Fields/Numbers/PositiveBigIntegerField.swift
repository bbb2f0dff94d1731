/// Django's `PositiveBigIntegerField`: `BIGINT` with its CHECK (`"column" >= 0`), a constraint named as Django
/// names the one it adds (`<table>_<column>_<hash>_check`) so that a later migration can drop it.
public struct PositiveBigIntegerField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, null: Bool = false, default value: Int64? = nil, unique: Bool = false, dbIndex: Bool = false) {
        state = FieldState(name: name, kind: .positiveBigInteger, null: null, unique: unique, dbIndex: dbIndex,
                           defaultValue: value.map { .integer(Int64($0)) })
    }

    public struct Kind: FieldType {
        public static let typeName = "PositiveBigIntegerField"
        public init() {}
        public init(parameters: FieldParameters) {}
        public func encode(parameters: inout FieldParameterWriter) {}
        public var columnType: ColumnType? { .bigInt }
        public var columnCheck: String? { "%(column)s >= 0" }
        public func defaultProblem(_ value: FieldDefault) -> String? { integerDefaultProblem(value, in: 0...Int64(Int64.max)) }
        public func parseDefault(_ text: String) -> FieldDefault? { Int64(text).flatMap { $0 >= 0 ? .integer(Int64($0)) : nil } }
    }
}

extension FieldKind {
    public static let positiveBigInteger = FieldKind(PositiveBigIntegerField.Kind())
}
