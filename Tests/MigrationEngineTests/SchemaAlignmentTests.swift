import Database
import Foundation
@testable import MigrationEngine
import Testing
import TestSupport

/// The parts of drift checking and alignment that need no database.
@Suite struct SchemaAlignmentTests {
    @Test func indexKeyColumnsComeFromTheFirstParenthesisedGroup() {
        #expect(SchemaInspector.indexColumns("CREATE INDEX i ON public.t USING btree (customer_id)") == ["customer_id"])
        #expect(SchemaInspector.indexColumns("CREATE UNIQUE INDEX u ON public.t USING btree (a, \"b\")") == ["a", "b"])
        #expect(SchemaInspector.indexColumns("CREATE INDEX i ON bank.public.t USING btree (a ASC) STORING (b)") == ["a"])
        #expect(SchemaInspector.indexColumns("CREATE INDEX i ON t USING btree (lower(name)) WHERE (x > 1)") == ["lower(name)"])
        #expect(SchemaInspector.indexColumns("no parenthesis") == [])
    }

    @Test func indexDefinitionsOfBothServersGiveOrderIncludeAndCondition() {
        let postgres = SchemaInspector.index(named: "i", #"CREATE UNIQUE INDEX i ON public.t USING btree (age DESC, "Name") INCLUDE (id, x) WHERE (active AND (n > 0))"#)
        #expect(postgres == .init(name: "i", columns: ["age", "Name"], unique: true, descending: ["age"], include: ["id", "x"],
                                  condition: "(active AND (n > 0))"))
        let cockroach = SchemaInspector.index(named: "i", "CREATE INDEX i ON bank.public.t USING btree (age DESC, name ASC) STORING (id) WHERE active = true")
        #expect(cockroach == .init(name: "i", columns: ["age", "name"], descending: ["age"], include: ["id"], condition: "active = true"))
        #expect(SchemaInspector.index(named: "p", "CREATE INDEX p ON public.t USING btree (a)") == .init(name: "p", columns: ["a"]))
    }

    @Test func castKeyPartsCompareAsBothServersShowThem() {
        // PostgreSQL wraps a cast in parentheses and spells its type out.
        let postgres = SchemaInspector.index(named: "i", "CREATE INDEX i ON public.t USING btree (((age)::text), ((born)::timestamp with time zone) DESC)")
        #expect(postgres.columns == ["((age)::text)", "((born)::timestamp with time zone)"])
        #expect(postgres.descending == ["((born)::timestamp with time zone)"])
        let key = { (part: String, server: ServerKind) in SchemaInspector.normalizedKey(part, on: server) }
        for (written, shown, server) in [
            (#"("age"::TEXT)"#, "((age)::text)", ServerKind.postgreSQL), (#"("age"::TEXT)"#, "(age::STRING)", .cockroachDB),
            (#"("name"::VARCHAR(20))"#, "((name)::character varying(20))", .postgreSQL),
            (#"("price"::DECIMAL(10, 2))"#, "((price)::numeric(10,2))", .postgreSQL),
            (#"("born"::TIMESTAMPTZ)"#, "((born)::timestamp with time zone)", .postgreSQL),
            (#"("age"::INTEGER)"#, "(age::INT8)", .cockroachDB), (#"lower("name")"#, "lower((name)::text)", .postgreSQL),
        ] {
            #expect(key(written, server) == key(shown, server), "\(written) as \(shown)")
        }
        // A cast is not its column, nor a cast to another type.
        #expect(key(#"("age"::TEXT)"#, .postgreSQL) != key("age", .postgreSQL))
        #expect(key(#"("age"::INTEGER)"#, .postgreSQL) != key("((age)::bigint)", .postgreSQL))
        #expect(key(#"("name"::VARCHAR(20))"#, .postgreSQL) != key("((name)::character varying(30))", .postgreSQL))
    }

    @Test func conditionsCompareAsBothServersNormaliseThem() {
        let n = SchemaInspector.normalizedCondition
        #expect(n(#""age" >= 18"#) == n("(age >= 18)"))
        #expect(n(#""age" >= 18"#) == n("age >= 18:::INT8"))
        #expect(n(#""status" = 'open'"#) == n("((status)::text = 'open'::text)"))
        #expect(n(#""status" = 'open'"#) == n("(status)::character varying = 'open'::character varying"))
        #expect(n(#""a" != 1 AND "b""#) == n("((a <> 1) AND b)"))
        #expect(n(#""age" >= 18"#) != n("(age >= 21)"))
        #expect(n(#""active""#) != n("(NOT active)"))
    }

    @Test func alignmentScriptWidensFirstListsWhatItCannotMendAndIsOneTransactionOnPostgreSQL() {
        let differences = [
            SchemaDifference(kind: .foreignKeyRule, table: "t", description: "t.c: rule", fix: "ALTER TABLE t DROP CONSTRAINT f;\nALTER TABLE t ADD CONSTRAINT f;"),
            SchemaDifference(kind: .columnNotInMigrations, table: "t", description: "t.x: column not in the migrations"),
            SchemaDifference(kind: .integerNarrowerThanBigint, table: "t", description: "t.c: narrow", fix: "ALTER TABLE t ALTER COLUMN c TYPE BIGINT;"),
        ]
        #expect(Migrator.alignmentScript(differences, transactional: true) == """
            -- Cannot align automatically: t.x: column not in the migrations
            BEGIN;
            -- t.c: narrow
            ALTER TABLE t ALTER COLUMN c TYPE BIGINT;
            -- t.c: rule
            ALTER TABLE t DROP CONSTRAINT f;
            ALTER TABLE t ADD CONSTRAINT f;
            COMMIT;
            """)
        #expect(!Migrator.alignmentScript(differences, transactional: false).contains("BEGIN"))
        #expect(Migrator.alignmentScript([], transactional: true) == "-- The database matches the applied migrations: nothing to align.")
    }
}
