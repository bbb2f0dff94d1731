import Foundation

/// A child process for tests: run a script or the `manage` binary, wait for it, or kill it.
///
/// Not Foundation's `Process`: on Linux its `waitUntilExit` was seen never to return (the child
/// left a zombie nobody reaped), hanging the test. `posix_spawn` and a blocking `waitpid` have no
/// such failure. Output goes to a file, not a pipe: a server the child starts inherits its
/// descriptors, and a pipe that server holds open would never reach end of file.
public struct ChildProcess: Sendable {
    public let pid: pid_t
    /// Where the child's standard output and standard error go.
    public let outputPath: String

    /// Starts `path` with `arguments`; `environment` entries are added to this process's own.
    public static func spawn(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("bank-child-\(UUID().uuidString)").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid = pid_t()
        let error = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard error == 0 else { throw Failure(description: "cannot run \(path): \(String(cString: strerror(error)))") }
        return ChildProcess(pid: pid, outputPath: outputPath)
    }

    /// Blocks until the child ends; returns its exit code, or 128 + the signal that ended it.
    @discardableResult
    public func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    public func kill(_ signal: Int32 = SIGKILL) { _ = Glibc.kill(pid, signal) }

    /// What the child printed so far (standard output and error together).
    public var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// Runs to the end; returns the exit code and output.
    public static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let child = try spawn(path, arguments, environment: environment)
        defer { try? FileManager.default.removeItem(atPath: child.outputPath) }
        let status = child.wait()
        return (status, child.output)
    }

    public struct Failure: Error, CustomStringConvertible { public var description: String }
}
