import Foundation

/// A PostgreSQL cluster of a test's own (scripts/devdb on a free port), for tests that stop,
/// restart or break the server: doing that to the suite's shared server would fail every test
/// running beside them.
public final class PrivateCluster: @unchecked Sendable {
    public let port: Int
    public let directory: String
    public var url: String { "postgresql://django@localhost:\(port)/bank?sslmode=disable" }

    /// Creates and starts the cluster (a few seconds: initdb).
    public init() throws {
        port = try PrivateCluster.freePort()
        directory = "/tmp/bank-private-\(ProcessInfo.processInfo.processIdentifier)-\(port)"
        try devdb("start")
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

    @discardableResult
    static func runScript(_ name: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestDatabase.packageRoot + "/scripts/" + name)
        process.arguments = arguments
        // Output goes to a file, not a pipe: a server started by the script may inherit the pipe and
        // hold it open, and reading to its end would then wait forever.
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("bank-script-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let handle = try FileHandle(forWritingTo: outputFile)
        process.standardOutput = handle
        try process.run()
        process.waitUntilExit()
        try? handle.close()
        let output = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            struct ScriptFailed: Error, CustomStringConvertible { var description: String }
            throw ScriptFailed(description: "scripts/\(name) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        return output
    }
}
