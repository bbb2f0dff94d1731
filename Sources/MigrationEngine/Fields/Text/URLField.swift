/// Django's `URLField`: `VARCHAR(200)` by default, for a URL.
public struct URLField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, maxLength: Int = 200, null: Bool = false, default value: String? = nil,
                unique: Bool = false, dbIndex: Bool = false, primaryKey: Bool = false) {
        state = FieldState(name: name, kind: FieldKind(Kind(maxLength: maxLength)), null: null, primaryKey: primaryKey,
                           unique: unique, dbIndex: dbIndex, defaultValue: value.map(FieldDefault.string))
    }

    public struct Kind: VarcharKind {
        public static let typeName = "URLField"
        public var maxLength: Int
        public init(maxLength: Int) { self.maxLength = maxLength }
    }
}

extension FieldKind {
    public static func url(maxLength: Int = 200) -> FieldKind { FieldKind(URLField.Kind(maxLength: maxLength)) }
}
