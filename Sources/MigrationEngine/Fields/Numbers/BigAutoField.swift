/// The same as `AutoField`, under Django's other name (`BIGSERIAL`): the implicit `id` of a
/// model declared without a primary key.
public struct BigAutoField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, primaryKey: Bool = true) {
        state = FieldState(name: name, kind: .bigAutoField, primaryKey: primaryKey)
    }

    public struct Kind: FieldType {
        public static let typeName = "BigAutoField"
        public init() {}
        public init(parameters: FieldParameters) {}
        public func encode(parameters: inout FieldParameterWriter) {}
        public var columnType: ColumnType? { .bigSerial }
        /// A foreign key to it is a plain `BIGINT`.
        public var referenceColumnType: ColumnType? { .bigInt }
        public var isAutoIncrement: Bool { true }
    }
}

extension FieldKind {
    public static let bigAutoField = FieldKind(BigAutoField.Kind())
}
