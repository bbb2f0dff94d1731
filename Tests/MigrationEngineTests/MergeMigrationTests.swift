import Foundation
@testable import MigrationEngine
import Testing

/// Dependencies in migration files, two branches' migrations, and `makemigrations --merge`, on
/// folders. No database (MergeIntegrationTests applies merged migrations to PostgreSQL).
@Suite struct MergeMigrationTests {
    static func customers(nameLength: Int = 250, email: Bool = false) -> Model {
        Model("Customers") {
            AutoField("id", primaryKey: true)
            CharField("name", maxLength: nameLength)
            if email { CharField("email", maxLength: 254, null: true) }
        }
    }
    static func products(sku: Bool) -> Model {
        Model("Products") {
            AutoField("id", primaryKey: true)
            CharField("name", maxLength: 250)
            DecimalField("price", maxDigits: 18, decimalPlaces: 2)
            if sku { CharField("sku", maxLength: 32, null: true) }
        }
    }
    static func bank(nameLength: Int = 250, email: Bool = false, sku: Bool = false) -> [Model] {
        [customers(nameLength: nameLength, email: email), products(sku: sku), Fixtures.bank[2]]
    }

    /// A folder with 0001_initial and the migration makemigrations writes for `models` on a branch
    /// of its own (a copy of the folder), copied in: what a `git merge` of that branch leaves.
    static func addBranch(_ models: [Model], to directory: URL, name: String? = nil) throws -> String {
        let branch = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(branch) }
        try FileManager.default.copyItem(at: directory.appendingPathComponent("0001_initial.sql"),
                                         to: branch.appendingPathComponent("0001_initial.sql"))
        let name = try #require(try Fixtures.makeMigration(models, in: branch, name: name))
        try FileManager.default.copyItem(at: branch.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        return name
    }

    static func twoBranches(_ a: [Model], _ b: [Model], names: (String, String)? = nil) throws -> (URL, String, String) {
        let directory = Fixtures.temporaryDirectory()
        try Fixtures.makeMigration(Fixtures.bank, in: directory)
        return (directory, try addBranch(a, to: directory, name: names?.0), try addBranch(b, to: directory, name: names?.1))
    }

    @Test func theCommittedInitialMigrationKeepsItsBytesAndMeaning() throws {
        let url = Fixtures.committedMigrations.appendingPathComponent("0001_initial.sql")
        let text = try String(contentsOf: url, encoding: .utf8)
        let migration = try MigrationFile.parse(text, fileName: "0001_initial.sql")
        #expect(migration.dependencies == nil)
        #expect(migration.checksum == "449c01d053a7dec06b15c01163df1d6674929463b9797199a0ee04b8d2f92752")
        let loaded = try MigrationLoader.loadGraph(directory: Fixtures.committedMigrations)
        #expect(loaded.graph.rootNodes(app: "myproject") == [migration.key])
    }

    @Test func aNewMigrationNamesItsParentAndAFileWithoutOneFollowsThePreviousNumber() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        try Fixtures.makeMigration(Fixtures.bank, in: directory)
        // A 0002 written before dependency lines existed: no such line.
        try Fixtures.makeMigration(Self.bank(email: true), in: directory)
        let second = directory.appendingPathComponent("0002_customers_email.sql")
        let text = try String(contentsOf: second, encoding: .utf8)
        #expect(text.contains("\n-- dependency: myproject.0001_initial\n"))
        try Data(text.replacingOccurrences(of: "-- dependency: myproject.0001_initial\n", with: "").utf8).write(to: second)
        try Fixtures.makeMigration(Self.bank(email: true, sku: true), in: directory)
        let loaded = try MigrationLoader.loadGraph(directory: directory)
        #expect(loaded.ordered.map(\.name) == ["0001_initial", "0002_customers_email", "0003_products_sku"])
        #expect(loaded.graph.parents(MigrationKey("myproject.0002_customers_email")!).map(\.name) == ["0001_initial"])
        #expect(loaded.byKey[MigrationKey("myproject.0003_products_sku")!]?.dependencies == [MigrationKey("myproject.0002_customers_email")!])
    }

    @Test func twoLeavesStopMakemigrationsWithDjangosMessage() throws {
        let (directory, a, b) = try Self.twoBranches(Self.bank(email: true), Self.bank(sku: true))
        defer { Fixtures.remove(directory) }
        #expect(a == "0002_customers_email.sql" && b == "0002_products_sku.sql")
        let expected = """
            Conflicting migrations detected; multiple leaf nodes in the migration graph: (0002_customers_email, 0002_products_sku in myproject).
            To fix them run 'manage makemigrations --merge'
            """
        #expect(throws: MigrationGraphError(description: expected)) {
            try MakeMigrations.run(appLabel: "myproject", models: Self.bank(email: true, sku: true), directory: directory, output: { _ in })
        }
        #expect(throws: MigrationGraphError(description: expected)) {
            try MakeMigrations.pendingOperations(appLabel: "myproject", models: Self.bank(email: true, sku: true), directory: directory)
        }
    }

    @Test func mergeOfBranchesThatTouchDifferentFieldsIsWrittenWithoutSQL() throws {
        let (directory, _, _) = try Self.twoBranches(Self.bank(email: true), Self.bank(sku: true))
        defer { Fixtures.remove(directory) }
        let lines = Lines()
        try MakeMigrations.run(appLabel: "myproject", models: Self.bank(email: true, sku: true), directory: directory,
                               options: .init(merge: true), output: lines.append)
        let name = "0003_merge_0002_customers_email_0002_products_sku"
        #expect(lines.all == [
            "Merging myproject",
            "  Branch 0002_customers_email",
            "    - Add field email to customers",
            "  Branch 0002_products_sku",
            "    - Add field sku to products",
            "",
            "Created new merge migration \(directory.appendingPathComponent(name + ".sql").path)",
        ])
        let loaded = try MigrationLoader.loadGraph(directory: directory)
        let merge = try #require(loaded.byKey[MigrationKey(app: "myproject", name: name)])
        #expect(merge.dependencies?.map(\.name) == ["0002_customers_email", "0002_products_sku"])
        #expect(merge.operations.isEmpty && SQLScript.statements(merge.upSQL).isEmpty && SQLScript.statements(merge.downSQL).isEmpty)
        #expect(loaded.graph.conflicts().isEmpty)
        #expect(try loaded.state() == Fixtures.state(Self.bank(email: true, sku: true)))
        let again = Lines()
        try MakeMigrations.run(appLabel: "myproject", models: Self.bank(email: true, sku: true), directory: directory, output: again.append)
        #expect(again.all == ["No changes detected"])
        try MakeMigrations.run(appLabel: "myproject", models: Self.bank(email: true, sku: true), directory: directory,
                               options: .init(merge: true), output: again.append)
        #expect(again.all.last == "No conflicts detected to merge.")
        // The next migration follows the merge.
        let next = try #require(try Fixtures.makeMigration(Self.bank(nameLength: 300, email: true, sku: true), in: directory))
        #expect(next == "0004_alter_customers_name.sql")
        #expect(try MigrationLoader.loadGraph(directory: directory).byKey[MigrationKey(app: "myproject", name: "0004_alter_customers_name")]?
            .dependencies == [MigrationKey(app: "myproject", name: name)])
    }

    @Test func branchesThatChangeTheSameFieldAskAndNoInputRefuses() throws {
        let (directory, _, _) = try Self.twoBranches(Self.bank(nameLength: 300), Self.bank(nameLength: 200), names: ("name_300", "name_200"))
        defer { Fixtures.remove(directory) }
        let options = MakeMigrations.Options(merge: true)
        let refusal = #expect(throws: QuestionerError.self) {
            try MakeMigrations.run(appLabel: "myproject", models: Self.bank(nameLength: 300), directory: directory, options: options,
                                   questioner: NonInteractiveQuestioner(), output: { _ in })
        }
        #expect(refusal?.description.contains("both change customers.name") == true, "\(String(describing: refusal))")
        let no = ScriptedInput(["n"])
        let outcome = try MakeMigrations.run(appLabel: "myproject", models: Self.bank(nameLength: 300), directory: directory,
                                             options: options, questioner: no.questioner, output: { _ in })
        #expect(outcome == .noChanges)
        #expect(no.prompts.contains("Both branches change customers.name.\nMerging will only work if the operations printed above do not conflict"))
        #expect(try MigrationLoader.loadGraph(directory: directory).graph.conflicts().count == 1, "answering no wrote nothing")
        let yes = ScriptedInput(["y"])
        let merged = try MakeMigrations.run(appLabel: "myproject", models: Self.bank(nameLength: 300), directory: directory,
                                            options: options, questioner: yes.questioner, output: { _ in })
        #expect(merged.hasChanges)
        #expect(try MigrationLoader.loadGraph(directory: directory).graph.conflicts().isEmpty)
    }

    @Test func branchesThatAddTheSameFieldCannotBeMerged() throws {
        let (directory, _, _) = try Self.twoBranches(Self.bank(email: true), [
            Model("Customers") {
                AutoField("id", primaryKey: true)
                CharField("name", maxLength: 250)
                CharField("email", maxLength: 100, null: true)
            },
            Self.products(sku: false), Fixtures.bank[2],
        ], names: ("email", "email_short"))
        defer { Fixtures.remove(directory) }
        let error = #expect(throws: MakeMigrationsError.self) {
            try MakeMigrations.run(appLabel: "myproject", models: Self.bank(email: true), directory: directory,
                                   options: .init(merge: true), questioner: ScriptedInput(["y"]).questioner, output: { _ in })
        }
        #expect(error?.description.contains("cannot be merged") == true && error?.description.contains("already exists") == true,
                "\(String(describing: error))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).count == 3, "nothing written")
    }

    func loadError(_ files: [String: String]) throws -> String? {
        let directory = Fixtures.temporaryDirectory()
        defer { Fixtures.remove(directory) }
        for (name, text) in files { try Data(text.utf8).write(to: directory.appendingPathComponent(name)) }
        do {
            _ = try MigrationLoader.loadGraph(directory: directory)
            return nil
        } catch {
            return String(describing: error)
        }
    }

    static func empty(_ dependencies: [String]? = nil) throws -> String {
        try MigrationFile.render(app: "myproject", name: "x", dependencies: (dependencies ?? []).map { MigrationKey($0)! },
                                 operations: [], state: ProjectState(appLabel: "myproject"))
    }

    @Test func missingParentsAmbiguousNumbersAndBadLinesAreRefused() throws {
        #expect(try loadError(["0001_a.sql": Self.empty(), "0002_b.sql": Self.empty(["myproject.0001_nope"])])
            == "Migration myproject.0002_b dependencies reference nonexistent parent node ('myproject', '0001_nope')")
        // Two branches' 0002s with their lines load; a header-less 0003 cannot say which it follows.
        let branches = ["0001_a.sql": try Self.empty(), "0002_b.sql": try Self.empty(["myproject.0001_a"]),
                        "0002_c.sql": try Self.empty(["myproject.0001_a"])]
        #expect(try loadError(branches) == nil)
        #expect(try loadError(branches.merging(["0003_d.sql": Self.empty()]) { $1 })
            == "0003_d.sql: has no '-- dependency:' lines and 2 migrations are numbered 0002 (0002_b, 0002_c): add a '-- dependency: myproject.<name>' line for its parent")
        #expect(try loadError(branches.merging(["0004_d.sql": Self.empty(["myproject.0002_b"])]) { $1 })
            == "0004_d.sql: gap in the migration numbers: 0003 is missing")
        let bad = try Self.empty(["myproject.0001_a"]).replacingOccurrences(of: "-- dependency: myproject.0001_a", with: "-- dependency: 0001_a")
        #expect(try loadError(["0001_a.sql": Self.empty(), "0002_b.sql": bad])?
            .hasPrefix("0002_b.sql:4: unreadable dependency '0001_a': expected <app>.<NNNN_name>") == true)
    }
}
