/// Django's `EmailField`: `VARCHAR(254)` by default, for an e-mail address.
public struct EmailField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, maxLength: Int = 254, null: Bool = false, default value: String? = nil,
                unique: Bool = false, dbIndex: Bool = false, primaryKey: Bool = false) {
        state = FieldState(name: name, kind: FieldKind(Kind(maxLength: maxLength)), null: null, primaryKey: primaryKey,
                           unique: unique, dbIndex: dbIndex, defaultValue: value.map(FieldDefault.string))
    }

    public struct Kind: VarcharKind {
        public static let typeName = "EmailField"
        public var maxLength: Int
        public init(maxLength: Int) { self.maxLength = maxLength }
    }
}

extension FieldKind {
    public static func email(maxLength: Int = 254) -> FieldKind { FieldKind(EmailField.Kind(maxLength: maxLength)) }
}
