import Database
import Foundation
import Hummingbird
import MigrationEngine
import Testing
import TestSupport

/// The Python tutorial's Django app (Tests/Fixtures/DjangoTutorial: its models.py, settings that
/// read DATABASE_URL) and this project on one database, with the real Django 5.2 that `make test`
/// installs (DJANGO_PYTHON), in both orders: whoever migrates first must not break the other.
@Suite(.serialized) struct DjangoInteropTests {
    static let djangoProject = TestDatabase.packageRoot + "/Tests/Fixtures/DjangoTutorial"
    static let migrations = TestDatabase.packageRoot + "/Migrations"

    struct NoDjango: Error, CustomStringConvertible {
        var description: String { "DJANGO_PYTHON is not set: run these tests with `make test`, which installs Django 5.2 into .build/django-venv" }
    }

    static func python() throws -> String {
        guard let python = ProcessInfo.processInfo.environment["DJANGO_PYTHON"], !python.isEmpty else { throw NoDjango() }
        return python
    }

    /// `python manage.py ...` of the Django app, on `url`.
    static func django(_ url: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let python = try python()
        return try await offPool {
            try ChildProcess.run(python, [djangoProject + "/manage.py"] + arguments,
                                 environment: ["DATABASE_URL": url, "PYTHONDONTWRITEBYTECODE": "1"])
        }
    }

    /// This project's `manage ...`, on `url`, with the committed migrations.
    static func manage(_ url: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await offPool { try ManageExecutable.run(arguments, databaseURL: url, environment: ["MIGRATIONS_DIR": migrations]) }
    }

    /// The Django ORM, as a user of the tutorial would use it in `manage.py shell`.
    static func orm(_ url: String, _ code: String) async throws -> String {
        let result = try await django(url, ["shell", "--verbosity", "0", "-c", "from myproject.models import *\n" + code])
        #expect(result.status == 0, "Django shell failed: \(result.output)")
        // What the code printed last (Django may print notes of its own before).
        return result.output.split(separator: "\n").last.map(String.init) ?? ""
    }

    static func query(_ url: String, _ sql: String) throws -> [[String?]] { try TestDatabase.query(url, sql) }

    /// The lines of `showmigrations` under `app`'s heading.
    static func section(_ output: String, app: String) -> [String] {
        let lines = output.split(separator: "\n").map(String.init)
        guard let start = lines.firstIndex(of: app) else { return [] }
        return Array(lines[(start + 1)...].prefix { $0.hasPrefix(" ") })
    }

    @Test func djangoFirstThenManageAdoptsTheDatabase() async throws {
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            let djangoMigrate = try await Self.django(url, ["migrate"])
            try #require(djangoMigrate.status == 0, "Django's migrate failed: \(djangoMigrate.output)")
            let ids = try await Self.orm(url, """
                c = Customers.objects.create(name="Ada")
                p = Products.objects.create(name="Tea", price="3.50")
                o = Orders.objects.create(subtotal="3.50", customer=c)
                o.product.add(p)
                print(c.id, o.id)
                """).split(separator: " ").compactMap { Int64($0) }
            try #require(ids.count == 2)

            // Every app in the history, sorted as Django lists them; Django's own rows left alone.
            let shown = try await Self.manage(url, ["showmigrations"])
            #expect(shown.status == 0, "\(shown.output)")
            let headings = shown.output.split(separator: "\n").filter { !$0.hasPrefix(" ") }.map(String.init)
            #expect(headings == ["admin", "auth", "contenttypes", "myproject", "sessions"])
            #expect(Self.section(shown.output, app: "myproject") == [" [X] 0001_initial"])
            #expect(Self.section(shown.output, app: "auth").contains(" [X] 0001_initial"))
            let authOnly = try await Self.manage(url, ["showmigrations", "auth"])
            #expect(authOnly.status == 0 && authOnly.output.hasPrefix("auth\n [X] 0001_initial\n"), "\(authOnly.output)")

            let plan = try await Self.manage(url, ["migrate", "--plan"])
            #expect(plan.status == 0 && plan.output.contains("No planned migration operations."), "\(plan.output)")

            // Adopted once: the file's checksum recorded, said once, nothing run.
            let migrate = try await Self.manage(url, ["migrate"])
            #expect(migrate.status == 0, "\(migrate.output)")
            #expect(migrate.output.contains("Adopting migrations applied by Django (their files' checksums recorded):\n  myproject.0001_initial\n"))
            #expect(migrate.output.contains("  No migrations to apply."))
            let checksum = try Self.query(url, "SELECT checksum FROM django_migrations_checksum WHERE app = 'myproject' AND name = '0001_initial'")
            let file = try MigrationLoader.load(directory: URL(fileURLWithPath: Self.migrations))[0]
            #expect(checksum == [[file.checksum]])
            let again = try await Self.manage(url, ["migrate"])
            #expect(again.status == 0 && !again.output.contains("Adopting") && again.output.contains("No migrations to apply."), "\(again.output)")
            #expect(try Self.query(url, "SELECT count(*) FROM django_migrations WHERE app = 'myproject'") == [["1"]])

            // check names the differences that matter, and only those: not Django's constraint
            // names, identity columns or DEFERRABLE foreign keys.
            let check = try await Self.manage(url, ["check"])
            #expect(check.status == 1)
            for expected in [
                "myproject_customers.id: type integer, expected bigint",
                "myproject_orders.customer_id: type integer, expected bigint",
                "myproject_orders_product.orders_id: type integer, expected bigint",
                "myproject_orders.customer_id: foreign key to myproject_customers is ON DELETE NO ACTION, expected CASCADE",
                "myproject_orders_product.products_id: foreign key to myproject_products is ON DELETE NO ACTION, expected CASCADE",
                "'manage sqlalign' prints the SQL",
            ] {
                #expect(check.output.contains(expected), "check does not say \(expected): \(check.output)")
            }
            #expect(!check.output.contains("not in the migrations") && !check.output.contains("no index"), "\(check.output)")

            // sqlalign's script, run as a user would with psql, brings the database in line.
            let align = try await Self.manage(url, ["sqlalign"])
            #expect(align.status == 0 && align.output.hasPrefix("BEGIN;\n") && align.output.hasSuffix("COMMIT;\n"), "\(align.output)")
            let connection = try Connection(connectionString: url)
            try connection.run(align.output)
            connection.close()
            let clean = try await Self.manage(url, ["check"])
            #expect(clean.status == 0 && clean.output.contains("System check identified no issues (0 silenced)."), "\(clean.output)")

            // The service serves the rows Django wrote, and deleting a customer takes its orders along.
            try await Self.withServer(url) { port in
                let list = try await HTTP.send(port: port, .get, "/customer/")
                #expect(list.status == 200 && list.body.contains("\"id\": \(ids[0]), \"name\": \"Ada\""), "\(list.body)")
                let deleted = try await HTTP.send(port: port, .delete, "/customer/\(ids[0])/")
                #expect(deleted.status == 200, "\(deleted.body)")
            }
            #expect(try Self.query(url, "SELECT count(*) FROM myproject_orders") == [["0"]])

            // Django still works on the aligned database.
            let djangoAgain = try await Self.django(url, ["migrate"])
            #expect(djangoAgain.status == 0 && djangoAgain.output.contains("No migrations to apply."), "\(djangoAgain.output)")
            #expect(try await Self.orm(url, "print(Customers.objects.create(name='Grace').id > 0)") == "True")
        }
    }

    @Test func manageFirstThenDjangoMigratesItsOwnApps() async throws {
        try await TestDatabase.withFreshDatabase { (url: String) async throws -> Void in
            let migrate = try await Self.manage(url, ["migrate"])
            try #require(migrate.status == 0, "\(migrate.output)")

            let djangoMigrate = try await Self.django(url, ["migrate"])
            #expect(djangoMigrate.status == 0, "Django's migrate failed: \(djangoMigrate.output)")
            #expect(djangoMigrate.output.contains("Applying auth.0001_initial... OK"))
            #expect(djangoMigrate.output.contains("Applying sessions.0001_initial... OK"))
            #expect(!djangoMigrate.output.contains("Applying myproject"), "Django ran myproject.0001 again: \(djangoMigrate.output)")
            let djangoShows = try await Self.django(url, ["showmigrations", "myproject"])
            #expect(djangoShows.output.contains("myproject\n [X] 0001_initial"), "\(djangoShows.output)")

            // Django's ORM on the tables this project made: ids from the BIGSERIAL defaults.
            let written = try await Self.orm(url, """
                c = Customers(name="Ada")
                c.save()
                p = Products.objects.create(name="Tea", price="3.50")
                o = Orders.objects.create(subtotal="3.50", customer=c)
                o.product.add(p)
                print(c.id, Orders.objects.get(id=o.id).product.count())
                """).split(separator: " ").map(String.init)
            try #require(written.count == 2, "\(written)")
            #expect(try Self.query(url, "SELECT name FROM myproject_customers WHERE id = \(written[0])") == [["Ada"]])
            #expect(written[1] == "1")

            let shown = try await Self.manage(url, ["showmigrations"])
            #expect(Self.section(shown.output, app: "myproject") == [" [X] 0001_initial"], "\(shown.output)")
            #expect(Self.section(shown.output, app: "contenttypes").contains(" [X] 0001_initial"))
            let again = try await Self.manage(url, ["migrate"])
            #expect(again.status == 0 && again.output.contains("No migrations to apply.") && !again.output.contains("Adopting"), "\(again.output)")
            let check = try await Self.manage(url, ["check"])
            #expect(check.status == 0 && check.output.contains("System check identified no issues (0 silenced)."), "\(check.output)")
        }
    }

    /// `manage runserver` on a free port, for `body`.
    static func withServer(_ url: String, _ body: (Int) async throws -> Void) async throws {
        let port = try await offPool { try PrivateCluster.freePortForTests() }
        let server = try ChildProcess.spawn(try ManageExecutable.path(), ["runserver", "127.0.0.1:\(port)"], environment: [
            "DATABASE_URL": url, "MIGRATIONS_DIR": migrations, "LOG_LEVEL": "warning",
        ])
        defer { FaultTests.stop([server]) }
        var answered = false
        for _ in 0..<600 where !answered {
            answered = (try? await HTTP.send(port: port, .get, "/ping/", timeout: .seconds(2)))?.status == 200
            if !answered { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(answered, "manage runserver did not answer: \(server.output)")
        try await body(port)
    }
}
