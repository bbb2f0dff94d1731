import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

/// `manage dbshell` with fake clients on the PATH that print their arguments and environment:
/// the configured connection reaches them, the password only through the environment.
@Suite struct DBShellTests {
    static let password = "S3cr3t-\(UUID().uuidString.prefix(8))"
    static let url = "postgresql://django:\(password)@127.0.0.1:5432/bank?sslmode=disable"

    /// A folder holding an executable `name` that prints each argument on a line of its own
    /// (`arg:...`), then the variables a client reads the password from.
    static func fakeClient(_ name: String) throws -> URL {
        let folder = try Manage.emptyFolder()
        let script = """
            #!/bin/sh
            for a in "$@"; do printf 'arg:%s\\n' "$a"; done
            printf 'PGPASSWORD=%s\\n' "$PGPASSWORD"
            printf 'COCKROACH_URL=%s\\n' "$COCKROACH_URL"
            exit 7
            """
        let path = folder.appendingPathComponent(name).path
        // Written through a descriptor closed on exec: a child process another test forks
        // meanwhile would otherwise keep it open for writing, and running the script would fail
        // with "Text file busy" (ETXTBSY) for as long as that child lives.
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        #expect(fd >= 0)
        let bytes = Array((script + "\n").utf8)
        #expect(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
        close(fd)
        return folder
    }

    static func dbshell(_ arguments: [String], path: String) throws -> Manage.Run {
        let run = try ManageExecutable.run(["dbshell"] + arguments, databaseURL: url,
                                           environment: ["PATH": path, "PGPASSWORD": "", "COCKROACH_URL": ""])
        return Manage.Run(status: run.status, output: run.output)
    }

    @Test func psqlGetsTheConnectionWithThePasswordInPGPASSWORD() throws {
        let folder = try Self.fakeClient("psql")
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try Self.dbshell(["--", "-c", "SELECT 1"], path: folder.path + ":/usr/bin:/bin")
        #expect(run.status == 7, "the client's exit status is manage's: \(run)")
        let arguments = run.lines.filter { $0.hasPrefix("arg:") }.map { String($0.dropFirst(4)) }
        #expect(arguments.count == 3, "\(run)")
        #expect(Array(arguments.prefix(2)) == ["-c", "SELECT 1"], "\(run)")
        let conninfo = try #require(arguments.last)
        for part in ["host='127.0.0.1'", "port='5432'", "dbname='bank'", "user='django'", "sslmode='disable'"] {
            #expect(conninfo.contains(part), "\(part) missing from \(conninfo)")
        }
        #expect(!arguments.contains { $0.contains(Self.password) }, "the password is on the command line: \(run)")
        #expect(run.lines.contains("PGPASSWORD=\(Self.password)"), "\(run)")
    }

    @Test func cockroachSQLWhenThatIsWhatIsInstalled() throws {
        let folder = try Self.fakeClient("cockroach")
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try Self.dbshell([], path: folder.path)
        #expect(run.status == 7, "\(run)")
        #expect(run.lines.filter { $0.hasPrefix("arg:") } == ["arg:sql"], "\(run)")
        #expect(run.lines.contains("COCKROACH_URL=\(Self.url)"), "\(run)")
        #expect(run.lines.contains("PGPASSWORD="), "\(run)")
    }

    @Test func withNeitherClientItIsACommandError() throws {
        let folder = try Manage.emptyFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try Self.dbshell([], path: folder.path)
        #expect(run.status == 1, "\(run)")
        #expect(run.lines == ["CommandError: You appear not to have the 'psql' program (or CockroachDB's 'cockroach') installed or on your path."], "\(run)")
    }
}
