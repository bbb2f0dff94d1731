/// The kind of a field with its parameters: one value of a `FieldType` (`CharField.Kind(maxLength: 250)`).
/// Equal when the kind and its parameters are.
public struct FieldKind: Equatable, Sendable, CustomStringConvertible {
    public let type: any FieldType

    public init(_ type: any FieldType) { self.type = type }

    /// Every kind (the README's table lists them all). A migration file's `"type"` is looked up
    /// here: a kind missing from this list cannot be read back.
    public static let all: [any FieldType.Type] = [
        AutoField.Kind.self, BigAutoField.Kind.self, CharField.Kind.self, TextField.Kind.self,
        IntegerField.Kind.self, BigIntegerField.Kind.self, DecimalField.Kind.self, BooleanField.Kind.self,
        DateTimeField.Kind.self, ForeignKey.Kind.self, ManyToManyField.Kind.self,
        SmallAutoField.Kind.self, SmallIntegerField.Kind.self, PositiveIntegerField.Kind.self,
        PositiveSmallIntegerField.Kind.self, PositiveBigIntegerField.Kind.self, FloatField.Kind.self,
        DateField.Kind.self, TimeField.Kind.self, DurationField.Kind.self, UUIDField.Kind.self, JSONField.Kind.self,
        BinaryField.Kind.self, EmailField.Kind.self, SlugField.Kind.self, URLField.Kind.self,
        GenericIPAddressField.Kind.self, OneToOneField.Kind.self,
    ]

    private static let byName: [String: any FieldType.Type] =
        Dictionary(all.map { ($0.typeName, $0) }, uniquingKeysWith: { first, _ in first })

    /// The kind whose Django class name is `typeName`.
    public static func named(_ typeName: String) -> (any FieldType.Type)? { byName[typeName] }

    public static func == (a: FieldKind, b: FieldKind) -> Bool { a.type.isEqual(to: b.type) }

    /// The Django class name, used in the migration file and in messages.
    public var typeName: String { Swift.type(of: type).typeName }

    public var description: String { typeName }

    /// The model a relation points at.
    public var target: String? { type.relation?.target }

    public var isAuto: Bool { type.isAutoIncrement }
    public var isManyToMany: Bool { if case .manyToMany? = type.relation { return true } else { return false } }
    public var isForeignKey: Bool { if case .foreignKey? = type.relation { return true } else { return false } }

    /// The same kind pointing at `model` (unchanged when it is no relation).
    public func retargeted(to model: String) -> FieldKind { FieldKind(type.retargeted(to: model)) }

    /// Equal, the models relations point at compared whatever their case.
    func sameIgnoringTargetCase(_ other: FieldKind) -> Bool {
        guard let a = target, let b = other.target else { return self == other }
        return retargeted(to: a.lowercased()) == other.retargeted(to: b.lowercased())
    }
}
