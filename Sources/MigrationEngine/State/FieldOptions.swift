/// Django's field options that every kind takes, as modifiers on any field declaration:
///
/// ```swift
/// IntegerField("age").dbColumn("customer_age").dbComment("in years")
/// CharField("status", maxLength: 1).choices([("a", "Active"), ("c", "Closed")]).fillDefault(.string("a"))
/// ```
public struct ModifiedField: FieldDeclaration {
    public var state: FieldState
}

extension FieldDeclaration {
    private func modified(_ body: (inout FieldState) -> Void) -> ModifiedField {
        var state = self.state
        body(&state)
        return ModifiedField(state: state)
    }

    /// Django's `db_column`: the column's name.
    public func dbColumn(_ name: String) -> ModifiedField { modified { $0.dbColumn = name } }
    /// Django's `db_comment`: `COMMENT ON COLUMN`.
    public func dbComment(_ text: String) -> ModifiedField { modified { $0.dbComment = text } }
    /// Django's `db_default`: a lasting `DEFAULT` in the table (what a kind's `default:` is).
    public func dbDefault(_ value: FieldDefault) -> ModifiedField { modified { $0.defaultValue = value } }
    /// Django's `default`: fills existing rows when the column is added or turns NOT NULL, and
    /// is not kept by the database.
    public func fillDefault(_ value: FieldDefault) -> ModifiedField { modified { $0.fillDefault = value } }
    /// Django's `primary_key=True`, for a kind whose declaration has no such parameter.
    public func primaryKey() -> ModifiedField { modified { $0.primaryKey = true } }
    /// Django's `unique=True`.
    public func unique() -> ModifiedField { modified { $0.unique = true } }
    /// Django's `db_index=True`.
    public func dbIndex(_ on: Bool = true) -> ModifiedField { modified { $0.dbIndex = on } }
    /// Django's `related_name`: recorded, no schema effect.
    public func relatedName(_ name: String) -> ModifiedField { modified { $0.relatedName = name } }
    /// Django's `choices`, as (value, label) pairs: recorded, no schema effect.
    public func choices(_ pairs: [(String, String)]) -> ModifiedField { modified { $0.choices = pairs.map { [$0.0, $0.1] } } }
}
