import Foundation
@testable import MigrationEngine
import Testing

/// Django's questions about NOT NULL: a nullable field turning NOT NULL, and a NOT NULL foreign
/// key added to a table with rows. No database (NotNullIntegrationTests runs the SQL).
@Suite struct NotNullQuestionTests {
    static let nullable = [Model("Customers") { AutoField("id"); CharField("name", maxLength: 250, null: true) }] + Array(Fixtures.bank.dropFirst())
    static let notNull = Fixtures.bank
    static let table = "myproject_customers"

    func changes(_ questioner: Questioner, from: [Model] = nullable, to: [Model] = notNull) throws -> [Operation] {
        try Autodetector(from: Fixtures.state(from), to: Fixtures.state(to)).changes(questioner: questioner)
    }

    @Test func interactiveOneOffDefaultFillsTheNullsBeforeSetNotNull() throws {
        let input = ScriptedInput(["4", "1", "anonymous"])
        let ops = try changes(input.questioner)
        let name = CharField("name", maxLength: 250).state
        #expect(ops == [.alterField(model: "Customers", field: name, oneOffDefault: .string("anonymous"))])
        #expect(input.prompts.hasPrefix("""
            It is impossible to change a nullable field 'name' on customers to non-nullable without providing a default. \
            This is because the database needs something to populate existing rows.
            Please select a fix:
             1) Provide a one-off default now (will be set on all existing rows with a null value for this column)
            """))
        #expect(input.prompts.contains("Please select a valid option."))
        let sql = try ops[0].forwardSQL(from: Fixtures.state(Self.nullable))
        #expect(sql == [
            #"UPDATE "myproject_customers" SET "name" = 'anonymous' WHERE "name" IS NULL;"#,
            """
            -- The UPDATE above commits on its own on CockroachDB, where migrate runs statement by statement.
            -- lint: allow ddl-after-write
            ALTER TABLE "myproject_customers" ALTER COLUMN "name" SET NOT NULL;
            """,
        ])
        // The one-off value is not kept: back is DROP NOT NULL only.
        #expect(try ops[0].backwardSQL(from: Fixtures.state(Self.nullable)) == [#"ALTER TABLE "myproject_customers" ALTER COLUMN "name" DROP NOT NULL;"#])
        // Recorded in the file and read back.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(ops[0])
        #expect(String(decoding: json, as: UTF8.self).contains(#""one_off_default":{"string":"anonymous"}"#))
        #expect(try JSONDecoder().decode(Operation.self, from: json) == ops[0])
    }

    @Test func ignoreForNowWritesAPlainSetNotNullAndQuitStops() throws {
        let ignore = ScriptedInput(["2"])
        let ops = try changes(ignore.questioner)
        #expect(ops == [.alterField(model: "Customers", field: CharField("name", maxLength: 250).state)])
        #expect(try ops[0].forwardSQL(from: Fixtures.state(Self.nullable)) == [#"ALTER TABLE "myproject_customers" ALTER COLUMN "name" SET NOT NULL;"#])
        #expect(throws: QuestionerError.self) { try changes(ScriptedInput(["3"]).questioner) }
        #expect(throws: QuestionerError.self) { try changes(ScriptedInput([]).questioner) }
    }

    @Test func noInputFailsWithTheQuestionsTextAndDefaultAnswersIt() throws {
        do {
            _ = try changes(NonInteractiveQuestioner())
            Issue.record("no question was asked")
        } catch let error as QuestionerError {
            #expect(error.description == """
                It is impossible to change a nullable field 'name' on customers to non-nullable without providing a default. \
                This is because the database needs something to populate existing rows. \
                Give the field a default or keep null: true, or pass --default customers.name=VALUE.
                """)
        }
        #expect(try changes(ScriptedQuestioner(defaults: ["customers.name": "x"]))
                == [.alterField(model: "Customers", field: CharField("name", maxLength: 250).state, oneOffDefault: .string("x"))])
        #expect(throws: QuestionerError.self) { try changes(ScriptedQuestioner(defaults: ["customers.name": String(repeating: "x", count: 251)])) }
    }

    @Test func aDefaultAnswersWithoutAQuestion() throws {
        // Django's default (fillDefault) fills the NULLs; a lasting default fills them with DEFAULT.
        let filled = [Model("Customers") { AutoField("id"); CharField("name", maxLength: 250).fillDefault(.string("anon")) }] + Array(Fixtures.bank.dropFirst())
        let ops = try changes(NonInteractiveQuestioner(), to: filled)
        #expect(ops == [.alterField(model: "Customers", field: filled[0].fields[1], oneOffDefault: .string("anon"))])
        let lasting = [Model("Customers") { AutoField("id"); CharField("name", maxLength: 250, default: "anon") }] + Array(Fixtures.bank.dropFirst())
        let kept = try changes(NonInteractiveQuestioner(), to: lasting)
        #expect(try kept[0].forwardSQL(from: Fixtures.state(Self.nullable)) == [
            #"ALTER TABLE "myproject_customers" ALTER COLUMN "name" SET DEFAULT 'anon';"#,
            #"UPDATE "myproject_customers" SET "name" = DEFAULT WHERE "name" IS NULL;"#,
            #"ALTER TABLE "myproject_customers" ALTER COLUMN "name" SET NOT NULL;"#,
        ])
    }

    @Test func aNotNullForeignKeyAddedAsksForAnExistingKey() throws {
        let with = [Fixtures.bank[0], Fixtures.bank[1], Model("Orders") {
            AutoField("id", primaryKey: true); DecimalField("subtotal", maxDigits: 18, decimalPlaces: 2)
            ForeignKey("customer", to: "Customers", onDelete: .cascade, null: true)
            ForeignKey("seller", to: "Customers", onDelete: .protect)
            ManyToManyField("product", to: "Products")
        }]
        let input = ScriptedInput(["1", "", "7"])
        let ops = try changes(input.questioner, from: Fixtures.bank, to: with)
        let seller = ForeignKey("seller", to: "Customers", onDelete: .protect).state
        #expect(ops == [.addField(model: "Orders", field: seller, oneOffDefault: .integer(7))])
        #expect(input.prompts.contains("It is impossible to add a non-nullable field 'seller' to orders without specifying a default."))
        #expect(input.prompts.contains("Please enter the default value for seller (ForeignKey, the primary key of an existing Customers): "))
        let sql = try ops[0].forwardSQL(from: Fixtures.state(Fixtures.bank))
        #expect(sql.prefix(2) == [
            #"ALTER TABLE "myproject_orders" ADD COLUMN "seller_id" BIGINT NOT NULL DEFAULT 7;"#,
            #"ALTER TABLE "myproject_orders" ALTER COLUMN "seller_id" DROP DEFAULT;"#,
        ])
        #expect(sql[2].contains("FOREIGN KEY (\"seller_id\") REFERENCES \"myproject_customers\" (\"id\") ON DELETE RESTRICT"))
        #expect(throws: QuestionerError.self) { try changes(NonInteractiveQuestioner(), from: Fixtures.bank, to: with) }
    }

    @Test func theGeneratedFileIsLintClean() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Fixtures.makeMigration(Self.nullable, in: directory)
        try Fixtures.makeMigration(Self.notNull, in: directory, questioner: ScriptedQuestioner(defaults: ["customers.name": "anon"]))
        let (files, findings) = try MigrationLinter.lintDirectory(directory)
        #expect(files.count == 2)
        #expect(findings.isEmpty, "\(findings)")
        // Without the directive the linter would flag the schema change after the write.
        let text = try String(contentsOf: directory.appendingPathComponent(files[1]), encoding: .utf8)
        let bare = text.replacingOccurrences(of: "-- lint: allow ddl-after-write\n", with: "")
        #expect(MigrationLinter.lint(bare, file: files[1]).map(\.rule.id) == ["ddl-after-write"])
    }
}
