import Foundation
@testable import MigrationEngine
import Testing

/// Each field kind, all it says about itself: its JSON in the operation header, its column type
/// and what `information_schema` shows for it on each server, its defaults and what changing
/// its type means. A new kind adds its example here. No database.
@Suite struct FieldKindTests {
    struct Example {
        var field: FieldState
        /// The field's JSON, keys sorted as migration files write them.
        var json: String
        /// The column's DDL type, nil for a kind whose column type comes from elsewhere or that has none.
        var sql: String?
        /// `information_schema.columns` on PostgreSQL and on CockroachDB.
        var postgreSQL: String?
        var cockroachDB: String?
    }

    static let examples: [Example] = [
        Example(field: AutoField("id").state, json: #"{"name":"id","primary_key":true,"type":"AutoField"}"#,
                sql: "BIGSERIAL", postgreSQL: "bigint", cockroachDB: "bigint"),
        Example(field: BigAutoField("id").state, json: #"{"name":"id","primary_key":true,"type":"BigAutoField"}"#,
                sql: "BIGSERIAL", postgreSQL: "bigint", cockroachDB: "bigint"),
        Example(field: CharField("name", maxLength: 250, null: true, default: "it's", unique: true).state,
                json: #"{"default":{"string":"it's"},"max_length":250,"name":"name","null":true,"type":"CharField","unique":true}"#,
                sql: "VARCHAR(250)", postgreSQL: "character varying(250)", cockroachDB: "character varying(250)"),
        Example(field: TextField("bio", dbIndex: true).state, json: #"{"db_index":true,"name":"bio","type":"TextField"}"#,
                sql: "TEXT", postgreSQL: "text", cockroachDB: "text"),
        Example(field: IntegerField("age", default: 7).state, json: #"{"default":{"integer":7},"name":"age","type":"IntegerField"}"#,
                sql: "INTEGER", postgreSQL: "integer", cockroachDB: "bigint"),
        Example(field: BigIntegerField("points").state, json: #"{"name":"points","type":"BigIntegerField"}"#,
                sql: "BIGINT", postgreSQL: "bigint", cockroachDB: "bigint"),
        Example(field: DecimalField("price", maxDigits: 18, decimalPlaces: 2, default: "0.00").state,
                json: #"{"decimal_places":2,"default":{"decimal":"0.00"},"max_digits":18,"name":"price","type":"DecimalField"}"#,
                sql: "DECIMAL(18, 2)", postgreSQL: "numeric(18,2)", cockroachDB: "numeric(18,2)"),
        Example(field: BooleanField("vip", default: false).state, json: #"{"default":{"boolean":false},"name":"vip","type":"BooleanField"}"#,
                sql: "BOOLEAN", postgreSQL: "boolean", cockroachDB: "boolean"),
        Example(field: DateTimeField("joined", defaultNow: true).state, json: #"{"default":{"now":true},"name":"joined","type":"DateTimeField"}"#,
                sql: "TIMESTAMPTZ", postgreSQL: "timestamp with time zone", cockroachDB: "timestamp with time zone"),
        Example(field: ForeignKey("customer", to: "Customers", onDelete: .setNull, null: true).state,
                json: #"{"name":"customer","null":true,"on_delete":"SET NULL","to":"Customers","type":"ForeignKey"}"#,
                sql: nil, postgreSQL: nil, cockroachDB: nil),
        Example(field: ManyToManyField("product", to: "Products").state, json: #"{"name":"product","to":"Products","type":"ManyToManyField"}"#,
                sql: nil, postgreSQL: nil, cockroachDB: nil),
        Example(field: SmallAutoField("id").state, json: #"{"name":"id","primary_key":true,"type":"SmallAutoField"}"#,
                sql: "SMALLSERIAL", postgreSQL: "smallint", cockroachDB: "bigint"),
        Example(field: SmallIntegerField("rank", default: -3).state, json: #"{"default":{"integer":-3},"name":"rank","type":"SmallIntegerField"}"#,
                sql: "SMALLINT", postgreSQL: "smallint", cockroachDB: "smallint"),
        Example(field: PositiveIntegerField("stock", default: 0).state, json: #"{"default":{"integer":0},"name":"stock","type":"PositiveIntegerField"}"#,
                sql: "INTEGER", postgreSQL: "integer", cockroachDB: "bigint"),
        Example(field: PositiveSmallIntegerField("floor", null: true).state, json: #"{"name":"floor","null":true,"type":"PositiveSmallIntegerField"}"#,
                sql: "SMALLINT", postgreSQL: "smallint", cockroachDB: "smallint"),
        Example(field: PositiveBigIntegerField("views", dbIndex: true).state, json: #"{"db_index":true,"name":"views","type":"PositiveBigIntegerField"}"#,
                sql: "BIGINT", postgreSQL: "bigint", cockroachDB: "bigint"),
        Example(field: FloatField("ratio", default: "0.5").state, json: #"{"default":{"decimal":"0.5"},"name":"ratio","type":"FloatField"}"#,
                sql: "DOUBLE PRECISION", postgreSQL: "double precision", cockroachDB: "double precision"),
        Example(field: DateField("born", defaultNow: true).state, json: #"{"default":{"now":true},"name":"born","type":"DateField"}"#,
                sql: "DATE", postgreSQL: "date", cockroachDB: "date"),
        Example(field: TimeField("opens").state, json: #"{"name":"opens","type":"TimeField"}"#,
                sql: "TIME", postgreSQL: "time without time zone", cockroachDB: "time without time zone"),
        Example(field: DurationField("lasts", null: true).state, json: #"{"name":"lasts","null":true,"type":"DurationField"}"#,
                sql: "INTERVAL", postgreSQL: "interval", cockroachDB: "interval"),
        Example(field: UUIDField("id", primaryKey: true, defaultRandom: true).state,
                json: #"{"default":{"uuid":true},"name":"id","primary_key":true,"type":"UUIDField"}"#,
                sql: "UUID", postgreSQL: "uuid", cockroachDB: "uuid"),
        Example(field: JSONField("data", dbIndex: true).state, json: #"{"db_index":true,"name":"data","type":"JSONField"}"#,
                sql: "JSONB", postgreSQL: "jsonb", cockroachDB: "jsonb"),
        Example(field: BinaryField("blob", null: true).state, json: #"{"name":"blob","null":true,"type":"BinaryField"}"#,
                sql: "BYTEA", postgreSQL: "bytea", cockroachDB: "bytea"),
        Example(field: EmailField("email", unique: true).state, json: #"{"max_length":254,"name":"email","type":"EmailField","unique":true}"#,
                sql: "VARCHAR(254)", postgreSQL: "character varying(254)", cockroachDB: "character varying(254)"),
        Example(field: SlugField("slug").state, json: #"{"db_index":true,"max_length":50,"name":"slug","type":"SlugField"}"#,
                sql: "VARCHAR(50)", postgreSQL: "character varying(50)", cockroachDB: "character varying(50)"),
        Example(field: URLField("site", maxLength: 300, default: "https://example.com/").state,
                json: #"{"default":{"string":"https://example.com/"},"max_length":300,"name":"site","type":"URLField"}"#,
                sql: "VARCHAR(300)", postgreSQL: "character varying(300)", cockroachDB: "character varying(300)"),
        Example(field: GenericIPAddressField("ip", null: true).state, json: #"{"name":"ip","null":true,"type":"GenericIPAddressField"}"#,
                sql: "INET", postgreSQL: "inet", cockroachDB: "inet"),
        Example(field: OneToOneField("profile", to: "Customers", onDelete: .cascade).state,
                json: #"{"name":"profile","on_delete":"CASCADE","to":"Customers","type":"OneToOneField"}"#,
                sql: nil, postgreSQL: nil, cockroachDB: nil),
    ]

    @Test func everyKindIsListedOnceAndHasAnExample() {
        let names = FieldKind.all.map { $0.typeName }
        #expect(Set(names).count == names.count)
        #expect(Set(names) == Set(Self.examples.map(\.field.kind.typeName)))
        for name in names { #expect(FieldKind.named(name)?.typeName == name) }
        #expect(FieldKind.named("FileField") == nil)
    }

    @Test func jsonRecordRoundTrips() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for example in Self.examples {
            #expect(String(decoding: try encoder.encode(example.field), as: UTF8.self) == example.json)
            #expect(try JSONDecoder().decode(FieldState.self, from: Data(example.json.utf8)) == example.field)
        }
    }

    @Test func unknownKindsAndMissingParametersAreRefused() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(FieldState.self, from: Data(#"{"name":"x","type":"FileField"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(FieldState.self, from: Data(#"{"name":"x","type":"CharField"}"#.utf8))
        }
    }

    @Test func columnTypesOnBothServers() {
        for example in Self.examples {
            let type = example.field.kind.type.columnType
            #expect(type?.sql == example.sql, "\(example.field.kind)")
            #expect(type?.informationSchemaType(on: .postgreSQL).description == example.postgreSQL, "\(example.field.kind)")
            #expect(type?.informationSchemaType(on: .cockroachDB).description == example.cockroachDB, "\(example.field.kind)")
        }
        // A foreign key to an auto field is a plain BIGINT; to a CharField key, the same VARCHAR.
        #expect(FieldKind.autoField.type.referenceColumnType == .bigInt)
        #expect(FieldKind.char(maxLength: 10).type.referenceColumnType == .varchar(10))
    }

    @Test func defaultsTheirSQLAndWhatFits() {
        #expect(FieldKind.char(maxLength: 3).type.defaultSQL(.string("it's")) == "'it''s'")
        #expect(FieldKind.integer.type.defaultSQL(.integer(-5)) == "-5")
        #expect(FieldKind.decimal(digits: 5, places: 2).type.defaultSQL(.decimal("1.50")) == "1.50")
        #expect(FieldKind.boolean.type.defaultSQL(.boolean(true)) == "TRUE")
        #expect(FieldKind.dateTime.type.defaultSQL(.now) == "now()")
        #expect(FieldKind.char(maxLength: 3).type.defaultProblem(.string("abcd")) == "default is longer than max length 3")
        #expect(FieldKind.char(maxLength: 3).type.defaultProblem(.string("abc")) == nil)
        #expect(FieldKind.integer.type.defaultProblem(.boolean(true)) == "default does not fit a IntegerField")
        #expect(FieldKind.decimal(digits: 5, places: 2).type.defaultProblem(.decimal("1e5")) == "default '1e5' is not a plain decimal")
        #expect(FieldKind.foreignKey(to: "A", onDelete: .cascade).type.defaultProblem(.integer(1)) == "default does not fit a ForeignKey")
        #expect(FieldKind.dateTime.type.defaultProblem(.now) == nil)
    }

    @Test func oneOffDefaultsTypedAtThePrompt() {
        #expect(FieldKind.char(maxLength: 3).type.parseDefault("abc") == .string("abc"))
        #expect(FieldKind.char(maxLength: 3).type.parseDefault("abcd") == nil)
        #expect(FieldKind.integer.type.parseDefault("2147483648") == nil)
        #expect(FieldKind.bigInteger.type.parseDefault("2147483648") == .integer(2147483648))
        #expect(FieldKind.decimal(digits: 5, places: 2).type.parseDefault("123.45") == .decimal("123.45"))
        #expect(FieldKind.decimal(digits: 5, places: 2).type.parseDefault("1234.5") == nil)
        #expect(FieldKind.boolean.type.parseDefault("Yes") == .boolean(true))
        #expect(FieldKind.dateTime.type.parseDefault("NOW") == .now)
        #expect(FieldKind.dateTime.type.defaultPromptHint == ", \"now\"")
        #expect(FieldKind.autoField.type.parseDefault("1") == nil)
        #expect(FieldKind.manyToMany(to: "A").type.parseDefault("1") == nil)
    }

    @Test func typeChangesInPlaceOnlyWhereEveryValueFits() {
        let inPlace: [(ColumnType, ColumnType)] = [(.varchar(10), .varchar(20)), (.varchar(10), .text), (.integer, .bigInt)]
        let rewritten: [(ColumnType, ColumnType)] = [
            (.varchar(20), .varchar(10)), (.text, .varchar(10)), (.bigInt, .integer), (.decimal(10, 2), .decimal(12, 2)),
            (.integer, .decimal(10, 0)), (.bigSerial, .bigInt), (.boolean, .text),
        ]
        for (from, to) in inPlace { #expect(from.widensInPlace(to: to), "\(from) -> \(to)") }
        for (from, to) in rewritten { #expect(!from.widensInPlace(to: to), "\(from) -> \(to)") }
    }

    @Test func relationsAndTheirTargets() {
        let fk = FieldKind.foreignKey(to: "Customers", onDelete: .cascade)
        #expect(fk.target == "Customers" && fk.isForeignKey && !fk.isManyToMany)
        #expect(fk.retargeted(to: "Clients") == .foreignKey(to: "Clients", onDelete: .cascade))
        #expect(fk.sameIgnoringTargetCase(.foreignKey(to: "customers", onDelete: .cascade)))
        #expect(!fk.sameIgnoringTargetCase(.foreignKey(to: "customers", onDelete: .restrict)))
        #expect(!fk.sameIgnoringTargetCase(.manyToMany(to: "Customers")))
        #expect(FieldKind.text.retargeted(to: "X") == .text && FieldKind.text.target == nil)
        #expect(ForeignKey("customer", to: "C", onDelete: .cascade).state.column == "customer_id")
        #expect(!ManyToManyField("tags", to: "T").state.hasColumn)
    }

    /// What the drift check expects `information_schema` to show, per server: CockroachDB's
    /// INTEGER is 64-bit.
    @Test func theDriftCheckExpectsEachServersType() {
        #expect(ColumnType.varchar(250).informationSchemaType(on: .postgreSQL).description == "character varying(250)")
        #expect(ColumnType.decimal(18, 2).informationSchemaType(on: .postgreSQL).description == "numeric(18,2)")
        #expect(ColumnType.bigSerial.informationSchemaType(on: .postgreSQL).description == "bigint")
        #expect(ColumnType.integer.informationSchemaType(on: .postgreSQL).description == "integer")
        #expect(ColumnType.integer.informationSchemaType(on: .cockroachDB).description == "bigint")
    }
}
