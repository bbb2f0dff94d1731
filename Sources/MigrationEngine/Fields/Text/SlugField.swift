/// Django's `SlugField`: `VARCHAR(50)` by default, for a slug; indexed unless `dbIndex: false`,
/// as Django's is.
public struct SlugField: FieldDeclaration {
    public let state: FieldState
    public init(_ name: String, maxLength: Int = 50, null: Bool = false, default value: String? = nil,
                unique: Bool = false, dbIndex: Bool = true, primaryKey: Bool = false) {
        state = FieldState(name: name, kind: FieldKind(Kind(maxLength: maxLength)), null: null, primaryKey: primaryKey,
                           unique: unique, dbIndex: dbIndex, defaultValue: value.map(FieldDefault.string))
    }

    public struct Kind: VarcharKind {
        public static let typeName = "SlugField"
        public var maxLength: Int
        public init(maxLength: Int) { self.maxLength = maxLength }
    }
}

extension FieldKind {
    public static func slug(maxLength: Int = 50) -> FieldKind { FieldKind(SlugField.Kind(maxLength: maxLength)) }
}
