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
