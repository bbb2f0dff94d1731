import Foundation
@testable import MigrationEngine
import Testing

/// Reading migration files and folders: every malformed case is a one-line error naming the file.
@Suite struct MigrationFileTests {
    static func sample() throws -> String {
        try MigrationFile.render(app: "myproject", name: "0001_initial",
                                 operations: [.createModel(Fixtures.state(Fixtures.bank).model("customers")!)],
                                 state: ProjectState(appLabel: "myproject"))
    }

    @Test func renderThenParse() throws {
        let text = try Self.sample()
        let migration = try MigrationFile.parse(text, fileName: "0001_initial.sql")
        #expect(migration.number == 1 && migration.name == "0001_initial" && migration.app == "myproject")
        #expect(migration.operations.count == 1)
        #expect(migration.upSQL.contains("CREATE TABLE \"myproject_customers\""))
        #expect(migration.downSQL == "-- Undo: Create model Customers\nDROP TABLE \"myproject_customers\";")
        #expect(migration.checksum == SHA256Hex.of(text))
        #expect(text.range(of: #"\d{4}-\d{2}-\d{2}"#, options: .regularExpression) == nil, "no timestamps in the file")
    }

    /// A file saved with Windows line endings (an editor, a checkout with core.autocrlf) reads
    /// as the same migration; its checksum is of the bytes, so it differs.
    @Test func windowsLineEndingsParse() throws {
        let text = try Self.sample()
        let crlf = text.replacingOccurrences(of: "\n", with: "\r\n")
        let plain = try MigrationFile.parse(text, fileName: "0001_initial.sql")
        let windows = try MigrationFile.parse(crlf, fileName: "0001_initial.sql")
        #expect(windows.operations.count == plain.operations.count)
        #expect(windows.upSQL == plain.upSQL && windows.downSQL == plain.downSQL && windows.app == plain.app)
        #expect(windows.checksum != plain.checksum)
    }

    func parseError(_ text: String, _ fileName: String = "0001_initial.sql") -> MigrationFileError? {
        do {
            _ = try MigrationFile.parse(text, fileName: fileName)
            return nil
        } catch let error as MigrationFileError {
            return error
        } catch {
            return MigrationFileError(file: "?", line: nil, message: "wrong error type \(error)")
        }
    }

    @Test func unreadableOperationNamesItsLine() throws {
        let text = try Self.sample().replacingOccurrences(of: "-- operation: {\"model\"", with: "-- operation: {model")
        let error = try #require(parseError(text))
        #expect(error.line == 11)
        #expect(error.description.hasPrefix("0001_initial.sql:11: unreadable operation"))
        let unknown = try Self.sample().replacingOccurrences(of: "\"type\":\"CreateModel\"", with: "\"type\":\"Frobnicate\"")
        #expect(parseError(unknown)?.message.contains("unknown operation type Frobnicate") == true)
    }

    @Test func missingPartsAreRefused() throws {
        let text = try Self.sample()
        #expect(parseError(text.replacingOccurrences(of: "-- migrate:up", with: ""))?.message.contains("no '-- migrate:up' line") == true)
        #expect(parseError(text.replacingOccurrences(of: "-- migrate:down", with: ""))?.message.contains("no '-- migrate:down' line") == true)
        #expect(parseError(text.replacingOccurrences(of: "/*\n", with: ""))?.message.contains("must sit in a comment") == true)
        #expect(parseError(text.replacingOccurrences(of: "-- app: myproject\n", with: ""))?.message.contains("no '-- app: <label>' line") == true)
        #expect(parseError("SELECT 1;\n" + text)?.message.contains("header holds comments only") == true)
        #expect(parseError(text, "initial.sql")?.message.contains("not a migration file name") == true)
        #expect(parseError(text + "-- a trailing comment\n") == nil)
        #expect(parseError(text + "DROP TABLE x;\n")?.message.contains("SQL after the down part's closing '*/'") == true)
    }

    func loadError(_ files: [String: String]) throws -> String? {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        for (name, text) in files { try Data(text.utf8).write(to: directory.appendingPathComponent(name)) }
        do {
            _ = try MigrationLoader.load(directory: directory)
            return nil
        } catch {
            return String(describing: error)
        }
    }

    @Test func gapsAndDuplicatesAreRefused() throws {
        let empty = try MigrationFile.render(app: "myproject", name: "x", operations: [], state: ProjectState(appLabel: "myproject"))
        #expect(try loadError(["0001_a.sql": empty, "0003_c.sql": empty]) == "0003_c.sql: gap in the migration numbers: 0002 is missing")
        #expect(try loadError(["0001_a.sql": empty, "0001_b.sql": empty]) == "0001_b.sql: duplicate migration number 0001: also 0001_a.sql")
        #expect(try loadError(["0002_b.sql": empty]) == "0002_b.sql: gap in the migration numbers: 0001 is missing")
        #expect(try loadError(["0001_a.sql": empty, "0002_b.sql": empty]) == nil)
        #expect(try loadError(["0001_a.sql": empty, "notes.txt": "hello"]) == nil)
    }

    @Test func operationsThatDoNotReplayAreRefused() throws {
        let sample = try Self.sample()
        let error = try loadError(["0001_a.sql": sample, "0002_b.sql": sample])
        #expect(error == "0002_b.sql: operation does not apply: Create model Customers: model Customers already exists")
    }

    @Test func missingFolderHoldsNoMigrations() throws {
        #expect(try MigrationLoader.load(directory: URL(fileURLWithPath: "/tmp/no-such-folder-\(UUID())")).isEmpty)
    }

    @Test func sha256KnownVectors() {
        #expect(SHA256Hex.of("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256Hex.of("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Hex.of(String(repeating: "a", count: 1000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test func identifierQuoting() {
        #expect(SQLWriter.quote("a\"b") == "\"a\"\"b\"")
        #expect(SQLWriter.literal("it's") == "'it''s'")
        #expect(SQLWriter.isPlainIdentifier("myproject_orders"))
        #expect(!SQLWriter.isPlainIdentifier("1abc") && !SQLWriter.isPlainIdentifier("a-b") && !SQLWriter.isPlainIdentifier(""))
    }

    @Test func longNamesStayWithin63Characters() {
        let name = Names.indexName("myproject_a_very_long_table_name_for_testing", ["a_very_long_column_name_too"], suffix: "_fk_myproject_another_long_table_name_id")
        #expect(name.count <= 63)
        #expect(Names.indexName("myproject_orders", ["customer_id"]).hasPrefix("myproject_orders_customer_id_"))
    }
}
