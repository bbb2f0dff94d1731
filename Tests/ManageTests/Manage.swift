import Foundation
import Testing
import TestSupport

/// The built `manage` executable run as a child process (TestSupport's `ManageExecutable`: next
/// to the test bundle, where `swift build --build-tests` puts it), with the package's own
/// `Migrations/` unless a test gives another folder.
enum Manage {
    static let committedMigrations = TestDatabase.packageRoot + "/Migrations"

    /// A database URL nothing answers at (port 1 on loopback, as AuthModeTests uses), with a
    /// password that must never be printed. Commands that need no database are run with it too,
    /// which shows they need none.
    static let unreachableDatabase = (url: "postgresql://django:\(password)@127.0.0.1:1/bank?sslmode=disable&connect_timeout=5",
                                      port: 1, password: password)
    private static let password = "Sekr3t-\(UUID().uuidString.prefix(8))"

    struct Run: CustomStringConvertible {
        var status: Int32
        var output: String
        /// Standard output and error together, one element a line, without the final newline's empty line.
        var lines: [String] {
            var lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            return lines
        }
        var description: String { "exit \(status), output:\n\(output)" }
    }

    /// `manage arguments...` to its end. `MIGRATIONS_DIR` is cleared so that only
    /// `--migrations-dir` (which every test passes where it matters) says where the files are.
    static func run(_ arguments: [String], databaseURL: String = unreachableDatabase.url) throws -> Run {
        let run = try ManageExecutable.run(arguments, databaseURL: databaseURL, environment: ["MIGRATIONS_DIR": ""])
        return Run(status: run.status, output: run.output)
    }

    /// The committed migrations' names (`0001_initial`, ...), in order.
    static func committedNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: committedMigrations)
            .filter { $0.hasSuffix(".sql") }.sorted().map { String($0.dropLast(4)) }
    }

    /// An empty folder of its own, removed by the caller.
    static func emptyFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("manage-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
