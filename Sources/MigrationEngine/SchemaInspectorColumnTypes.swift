// SchemaInspector.swift is being changed on another branch; until it reads the expected type
// from the column type itself (`column.type.informationSchemaType(on:)`, or `.postgreSQL` for
// today's answer), these keep it compiling and right. Both go once it does.

extension SchemaInspector {
    /// What `information_schema.columns` should show on PostgreSQL for a column of `type`, as
    /// the field kind that made the column says (chosen over the `TableLayout.ColumnType`
    /// overload, which nothing makes any more).
    static func expectedType(_ type: ColumnType) -> (String, Int?, Int?, Int?) {
        let shown = type.postgreSQL
        return (shown.dataType, shown.characterMaximumLength, shown.numericPrecision, shown.numericScale)
    }
}

extension TableLayout {
    /// The closed list of column types SchemaInspector's own `expectedType` switches over. No
    /// layout holds these any more: the column types are the field kinds' (`ColumnType`).
    enum ColumnType: Equatable {
        case bigSerial
        case varchar(Int)
        case text
        case integer
        case bigInt
        case decimal(Int, Int)
        case boolean
        case timestampTZ
    }
}
