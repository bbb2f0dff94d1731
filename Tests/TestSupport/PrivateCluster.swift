import Foundation

/// A PostgreSQL cluster of a test's own (scripts/devdb on a free port), for tests that stop,
/// restart or break the server: doing that to the suite's shared server would fail every test
/// running beside them.
public final class PrivateCluster: @unchecked Sendable {
    public let port: Int
    public let directory: String
    public var url: String { "postgresql://django@localhost:\(port)/bank?sslmode=disable" }

    /// Creates and starts the cluster (a few seconds: initdb). `creationOptions` are scripts/devdb
    /// start's options for a new cluster (`--tls CERTDIR`, `--password PW`).
    public init(creationOptions: [String] = []) throws {
        port = try PrivateCluster.freePort()
        directory = "/tmp/bank-private-\(ProcessInfo.processInfo.processIdentifier)-\(port)"
        try PrivateCluster.runScript("devdb", ["start"] + creationOptions + ["--port", String(port), "--dir", directory])
    }

    public func start() throws { try devdb("start") }
    public func stop() throws { try devdb("stop") }
    public func restart() throws { try devdb("stop"); try devdb("start") }

    /// Stops the cluster and deletes its files.
    public func destroy() { try? devdb("stop", "--destroy") }

    deinit { destroy() }

    private func devdb(_ arguments: String...) throws {
        try PrivateCluster.runScript("devdb", arguments + ["--port", String(port), "--dir", directory])
    }

    static func freePort() throws -> Int {
        let output = try runScript("free-port", [])
        guard let port = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestDatabase.NotConfigured()
        }
        return port
    }

    /// Runs one of the package's scripts and returns what it printed.
    @discardableResult
    static func runScript(_ name: String, _ arguments: [String]) throws -> String {
        let (status, output) = try ChildProcess.run(TestDatabase.packageRoot + "/scripts/" + name, arguments)
        guard status == 0 else {
            throw ChildProcess.Failure(description: "scripts/\(name) \(arguments.joined(separator: " ")) exited with \(status): \(output)")
        }
        return output
    }
}
