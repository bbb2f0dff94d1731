import ArgumentParser
import Database
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `manage dbshell`: the database's own SQL shell on the configured connection, as Django's
/// dbshell runs `psql`. `psql` when it is on the PATH, else CockroachDB's `cockroach sql`.
///
/// The password never goes on the command line (where `ps` shows it to every user): psql gets
/// the connection string without it and the password in `PGPASSWORD`; `cockroach sql` gets its
/// URL in `COCKROACH_URL`.
struct DBShellCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dbshell",
        abstract: "Runs the command-line client for the database (psql, or cockroach sql), with the configured connection.",
        discussion: """
            Arguments after -- go to the client: manage dbshell -- -c 'SELECT 1'. The password is passed \
            in the environment (PGPASSWORD for psql, COCKROACH_URL for cockroach sql), never on the command line.
            """
    )

    @Argument(parsing: .postTerminator, help: "Arguments for the client, after --.") var parameters: [String] = []

    func run() throws {
        do {
            let keywords = try ConnectionString.keywords(databaseURL)
            let environment = ProcessInfo.processInfo.environment
            let invocation: DBShell.Invocation
            if let psql = DBShell.find("psql", path: environment["PATH"]) {
                invocation = DBShell.psql(psql, keywords: keywords, parameters: parameters)
            } else if let cockroach = DBShell.find("cockroach", path: environment["PATH"]) {
                invocation = DBShell.cockroach(cockroach, keywords: keywords, parameters: parameters)
            } else {
                throw DBShell.Failure(description: "You appear not to have the 'psql' program (or CockroachDB's 'cockroach') installed or on your path.")
            }
            try DBShell.exec(invocation, environment: environment)
        } catch {
            throw commandFailure(error)
        }
    }
}

enum DBShell {
    struct Failure: Error, CustomStringConvertible { var description: String }

    struct Invocation: Equatable {
        var executable: String
        var arguments: [String]
        /// Added to (or replacing) this process's environment.
        var environment: [String: String]
    }

    /// psql with the connection string minus its password (`host='db' port='26257' ...`), the
    /// password in PGPASSWORD.
    static func psql(_ executable: String, keywords: [(keyword: String, value: String)], parameters: [String]) -> Invocation {
        let conninfo = keywords.filter { $0.keyword != "password" }
            .map { "\($0.keyword)='\($0.value.replacingBytes("\\", with: "\\\\").replacingBytes("'", with: "\\'"))'" }
            .joined(separator: " ")
        let password = keywords.first { $0.keyword == "password" }?.value
        return Invocation(executable: executable, arguments: parameters + [conninfo],
                          environment: password.map { ["PGPASSWORD": $0] } ?? [:])
    }

    /// `cockroach sql` with the connection as a URL in COCKROACH_URL (its flag's variable); the
    /// first host when several are given.
    static func cockroach(_ executable: String, keywords: [(keyword: String, value: String)], parameters: [String]) -> Invocation {
        let values = Dictionary(keywords.map { ($0.keyword, $0.value) }, uniquingKeysWith: { first, _ in first })
        func first(_ list: String?) -> String? { list?.split(separator: ",").first.map(String.init) }
        var url = "postgresql://"
        if let user = values["user"] {
            url += encoded(user)
            if let password = values["password"] { url += ":" + encoded(password) }
            url += "@"
        }
        let host = first(values["host"]) ?? first(values["hostaddr"]) ?? "localhost"
        url += host.contains(":") ? "[\(host)]" : host
        if let port = first(values["port"]) { url += ":" + port }
        url += "/" + encoded(values["dbname"] ?? "")
        let query = ["sslmode", "sslrootcert", "sslcert", "sslkey", "application_name", "options"]
            .compactMap { key in values[key].map { "\(key)=\(encoded($0))" } }
        if !query.isEmpty { url += "?" + query.joined(separator: "&") }
        return Invocation(executable: executable, arguments: ["sql"] + parameters, environment: ["COCKROACH_URL": url])
    }

    static func encoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                result += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0xf)])
            }
        }
        return result
    }

    /// The first executable `name` in the PATH's folders.
    static func find(_ name: String, path: String?) -> String? {
        for folder in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Replaces this process with the client, which then has the terminal to itself.
    static func exec(_ invocation: Invocation, environment: [String: String]) throws -> Never {
        let argv: [UnsafeMutablePointer<CChar>?] = ([invocation.executable] + invocation.arguments).map { strdup($0) } + [nil]
        let merged = environment.merging(invocation.environment) { $1 }
        let envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        fflush(nil)  // every stream: nothing written before the exec is lost
        execve(invocation.executable, argv, envp)
        let reason = String(cString: strerror(errno))
        argv.forEach { free($0) }
        envp.forEach { free($0) }
        throw Failure(description: "cannot run \(invocation.executable): \(reason)")
    }
}
