@testable import MigrationEngine
import Testing

/// Each lint rule's check on its own: what it reports (the message) and what it leaves alone,
/// with the schema of the committed 0001 known, as `manage lint` knows it. No database.
@Suite struct LintRuleTests {
    static let initial: String = {
        (try? String(contentsOf: Fixtures.committedMigrations.appendingPathComponent("0001_initial.sql"), encoding: .utf8)) ?? ""
    }()

    /// The messages `check` reports over the statements of `sql`, in order.
    static func reports<C: LintCheck>(_ check: C.Type, _ sql: String) -> [String] {
        var schema = LintSchema()
        MigrationLinter.learn(initial, into: &schema)
        var instance = C()
        var messages: [String] = []
        for s in LintStatement.split(SQLLexer.tokens(sql)) {
            var context = LintContext(schema: schema)
            instance.check(s, &context)
            #expect(context.reports.allSatisfy { $0.rule == C.rule })
            messages += context.reports.map(\.message) + context.unsilenceable.map(\.message)
            schema.absorb(s)
        }
        return messages
    }

    @Test func everyRuleHasACheckASummaryAndAFix() {
        let checked = MigrationLinter.checks.map { $0.rule } + [UnreadableFile.rule]
        #expect(Set(checked.map(\.id)) == Set(LintRule.all.map(\.id)))
        #expect(checked.count == LintRule.all.count)
        for rule in LintRule.all { #expect(!rule.fix.isEmpty && !rule.summary.isEmpty, "\(rule.id)") }
    }

    @Test func schemaChangesInTransaction() {
        #expect(Self.reports(SchemaChangesInTransaction.self, "BEGIN; CREATE TABLE a (id BIGINT); CREATE TABLE b (id BIGINT); DROP TABLE c; COMMIT;") == [
            "a second schema change in the same BEGIN ... COMMIT block: CockroachDB does not apply several schema changes in one transaction atomically and can fail at COMMIT with part of them applied",
        ])
        #expect(Self.reports(SchemaChangesInTransaction.self, "ALTER TABLE t ADD COLUMN a TEXT, DROP COLUMN b;")
            == ["ALTER TABLE \"t\" with 2 actions: one schema change per statement, so that each is its own transaction and its progress is recorded"])
        #expect(Self.reports(SchemaChangesInTransaction.self, "DO $$ BEGIN ALTER TABLE a ADD x INT; DROP TABLE b; END $$;")
            == ["a DO block with 2 schema changes: they run in one transaction"])
        #expect(Self.reports(SchemaChangesInTransaction.self, "BEGIN; CREATE TABLE a (id BIGINT); COMMIT; CREATE TABLE b (id BIGINT);").isEmpty)
    }

    @Test func explicitTransaction() {
        #expect(Self.reports(ExplicitTransaction.self, "BEGIN; SELECT 1; COMMIT;") == [
            "BEGIN in a migration: migrate runs each migration in a transaction of its own (PostgreSQL) or each statement in one (CockroachDB)",
        ])
        #expect(Self.reports(ExplicitTransaction.self, "SELECT 1; ROLLBACK;") == ["ROLLBACK in a migration: it would end migrate's own transaction midway"])
        #expect(Self.reports(ExplicitTransaction.self, "START something; SELECT 'BEGIN';").isEmpty)
    }

    @Test func jsonbBtreeIndex() {
        let table = #"CREATE TABLE "p" ("id" BIGSERIAL NOT NULL PRIMARY KEY, "data" JSONB NOT NULL);"#
        #expect(Self.reports(JSONBIndex.self, table + "\n" + #"CREATE INDEX "i" ON "p" ("data");"#) == [#"B-tree index on "p"."data", a JSONB column"#])
        #expect(Self.reports(JSONBIndex.self, table + "\n" + #"CREATE UNIQUE INDEX "i" ON "p" USING btree ("data");"#).count == 1)
        #expect(Self.reports(JSONBIndex.self, table + "\n" + #"CREATE INDEX "i" ON "p" USING GIN ("data");"#).isEmpty)
        #expect(Self.reports(JSONBIndex.self, table + "\n" + #"CREATE INDEX "i" ON "p" ((data->>'k'));"#).isEmpty)
        #expect(Self.reports(JSONBIndex.self, #"CREATE TABLE "q" ("doc" JSONB PRIMARY KEY);"#) == [#""q"."doc" is JSONB and the primary key"#])
        #expect(Self.reports(JSONBIndex.self, #"ALTER TABLE "myproject_customers" ADD COLUMN "doc" JSONB NULL UNIQUE;"#)
                == [#""myproject_customers"."doc" is JSONB and UNIQUE"#])
        #expect(Self.reports(JSONBIndex.self, #"CREATE INDEX "i" ON "myproject_customers" ("name");"#).isEmpty)
    }

    @Test func ddlAfterWrite() {
        #expect(Self.reports(DDLAfterWrite.self, "SELECT 1;\nUPDATE t SET a = 1;\nCREATE INDEX i ON t (a);")
            == ["schema change after the write at line 2 (UPDATE): CockroachDB refuses a schema change that follows a write in one transaction"])
        #expect(Self.reports(DDLAfterWrite.self, "WITH x AS (DELETE FROM t RETURNING 1) SELECT 1;\nDROP INDEX i;").count == 1)
        #expect(Self.reports(DDLAfterWrite.self, "CREATE INDEX i ON t (a);\nUPDATE t SET a = 1;").isEmpty)
    }

    @Test func alterIndexedColumnType() {
        #expect(Self.reports(AlterIndexedColumnType.self, #"ALTER TABLE "myproject_products" ALTER COLUMN "id" TYPE NUMERIC(20, 0);"#)
            == ["changes the type of \"myproject_products\".\"id\", its primary key, to DECIMAL(20, 0)"])
        #expect(Self.reports(AlterIndexedColumnType.self, #"ALTER TABLE "myproject_orders" ALTER COLUMN "customer_id" TYPE TEXT;"#)
            == ["changes the type of \"myproject_orders\".\"customer_id\", which is indexed or a key, to TEXT"])
        #expect(Self.reports(AlterIndexedColumnType.self, #"ALTER TABLE "myproject_products" ALTER COLUMN "name" TYPE TEXT;"#).isEmpty)
    }

    @Test func alterColumnType() {
        #expect(Self.reports(AlterColumnType.self, #"ALTER TABLE "myproject_products" ALTER COLUMN "name" TYPE VARCHAR(300);"#)
            == ["changes the type of \"myproject_products\".\"name\" from VARCHAR(250) to VARCHAR(300)"])
        #expect(Self.reports(AlterColumnType.self, #"ALTER TABLE "x" ALTER COLUMN "y" SET DATA TYPE TEXT;"#) == ["changes the type of \"x\".\"y\" to TEXT"])
        #expect(Self.reports(AlterColumnType.self, #"ALTER TABLE "myproject_orders" ALTER COLUMN "customer_id" TYPE TEXT;"#).isEmpty)
        // A conversion CockroachDB cannot do online (Django's USING for a change of kind) says so.
        #expect(Self.reports(AlterColumnType.self, #"ALTER TABLE "myproject_products" ALTER COLUMN "name" TYPE INTEGER USING "name"::INTEGER;"#)
            == ["changes the type of \"myproject_products\".\"name\" from VARCHAR(250) to INTEGER: \(AlterColumnType.general)"])
    }

    @Test func primaryKeyChange() {
        #expect(Self.reports(PrimaryKeyChange.self, """
            ALTER TABLE "myproject_products" DROP CONSTRAINT "myproject_products_pkey";
            ALTER TABLE "myproject_products" ADD CONSTRAINT "pk" PRIMARY KEY ("name");
            ALTER TABLE "t" ADD COLUMN "k" BIGINT PRIMARY KEY;
            ALTER TABLE "t" ALTER PRIMARY KEY USING COLUMNS ("k");
            """) == [
            "drops the primary key \"myproject_products_pkey\" of \"myproject_products\"",
            "adds a primary key to \"myproject_products\"",
            "adds a primary key column to \"t\"",
            "changes the primary key of \"t\"",
        ])
        #expect(Self.reports(PrimaryKeyChange.self, #"ALTER TABLE "myproject_products" ADD CONSTRAINT "u" UNIQUE ("name");"#).isEmpty)
    }

    @Test func int32Id() {
        #expect(Self.reports(Int32Id.self, #"CREATE TABLE "a" ("id" SERIAL PRIMARY KEY, "code" INT4, "b" INT REFERENCES "b" ("id"), "c_id" SMALLINT, PRIMARY KEY ("code"));"#) == [
            "\"a\".\"id\": SERIAL makes ids of 32 bits; CockroachDB's unique_rowid() ids need 64 bits",
            "\"a\".\"code\": INTEGER primary key; CockroachDB's unique_rowid() ids need 64 bits",
            "\"a\".\"b\": INTEGER, referring to another table's id; CockroachDB's unique_rowid() ids need 64 bits",
            "\"a\".\"c_id\": SMALLINT, named like an id; CockroachDB's unique_rowid() ids need 64 bits",
        ])
        #expect(Self.reports(Int32Id.self, #"ALTER TABLE "myproject_orders" ALTER COLUMN "customer_id" TYPE INTEGER;"#)
            == ["\"myproject_orders\".\"customer_id\" becomes INTEGER; ids need 64 bits"])
        #expect(Self.reports(Int32Id.self, #"CREATE TABLE "a" ("id" BIGSERIAL PRIMARY KEY, "quantity" INTEGER);"#).isEmpty)
    }

    @Test func enumValueUsed() {
        #expect(Self.reports(EnumValueUsed.self, "SELECT 1;\nALTER TYPE \"mood\" ADD VALUE 'happy';\nUPDATE p SET m = 'happy';")
            == ["uses 'happy', added to enum mood at line 2 of this migration: a new enum value cannot be used in the transaction that added it"])
        #expect(Self.reports(EnumValueUsed.self, "UPDATE p SET m = 'happy';\nALTER TYPE \"mood\" ADD VALUE 'happy';").isEmpty)
    }

    @Test func deferrable() {
        #expect(Self.reports(Deferrable.self, "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES b (id) DEFERRABLE;")
            == ["DEFERRABLE constraint: CockroachDB rejects it"])
        #expect(Self.reports(Deferrable.self, "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES b (id) INITIALLY DEFERRED;")
            == ["INITIALLY DEFERRED constraint: CockroachDB rejects it"])
        #expect(Self.reports(Deferrable.self, "SET CONSTRAINTS ALL IMMEDIATE;") == ["SET CONSTRAINTS: deferred constraint checking does not exist on CockroachDB"])
        #expect(Self.reports(Deferrable.self, "ALTER TABLE t ADD CONSTRAINT f UNIQUE (a) NOT DEFERRABLE;").isEmpty)
    }

    @Test func advisoryLock() {
        #expect(Self.reports(AdvisoryLock.self, "SELECT pg_try_advisory_lock(1);") == ["pg_try_advisory_lock: CockroachDB has no advisory lock functions (error 42883)"])
        #expect(Self.reports(AdvisoryLock.self, "DO $$ BEGIN PERFORM pg_advisory_xact_lock(1); END $$;")
            == ["pg_advisory_*: CockroachDB has no advisory lock functions (error 42883)"])
        #expect(Self.reports(AdvisoryLock.self, "SELECT 1 FROM t FOR UPDATE;").isEmpty)
    }

    @Test func concurrentIndex() {
        #expect(Self.reports(ConcurrentIndex.self, "REINDEX INDEX CONCURRENTLY i;")
            == ["INDEX ... CONCURRENTLY cannot run inside a transaction block (PostgreSQL 25001), and migrate applies a migration in one"])
        #expect(Self.reports(ConcurrentIndex.self, "CREATE INDEX i ON t (a);").isEmpty)
    }

    @Test func destructiveChange() {
        #expect(Self.reports(DestructiveChange.self, """
            DROP TABLE IF EXISTS "a", b.c;
            TRUNCATE "myproject_orders";
            ALTER TABLE "myproject_customers" DROP COLUMN "name", DROP COLUMN IF EXISTS "x";
            ALTER TABLE "myproject_products" ALTER COLUMN "price" TYPE DECIMAL(10, 2);
            """) == [
            "drops table \"a\", \"c\" and all its data",
            "TRUNCATE deletes every row",
            "drops column \"myproject_customers\".\"name\" and its data",
            "drops column \"myproject_customers\".\"x\" and its data",
            "narrows \"myproject_products\".\"price\" from DECIMAL(18, 2) to DECIMAL(10, 2): longer or larger values fail or are lost",
        ])
        #expect(Self.reports(DestructiveChange.self, #"ALTER TABLE "myproject_products" ALTER COLUMN "name" TYPE TEXT; DROP INDEX "i";"#).isEmpty)
    }

    @Test func unknownDirective() {
        #expect(Self.reports(UnknownDirective.self, "-- lint: allow nothing\n-- lint: allow destructive-change\nSELECT 1;")
            == ["not a known lint directive (it silences nothing)"])
        #expect(Self.reports(UnknownDirective.self, "-- a plain comment\nSELECT 1;").isEmpty)
    }

    @Test func unreadableFile() {
        #expect(UnreadableFile.finding("SELECT 1;\n", file: "Migrations/0002_x.sql")?.message == "no '-- migrate:up' line: not a migration file")
        #expect(UnreadableFile.finding(Self.initial, file: "Migrations/0001_initial.sql") == nil)
    }
}
