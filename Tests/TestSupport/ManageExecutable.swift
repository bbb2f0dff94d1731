import Foundation

/// The `manage` executable: next to the test bundle (the same build folder, so a scratch path
/// works), else the package's .build/debug (as StatementModeTests finds it).
public enum ManageExecutable {
    public static func path() throws -> String {
        let bundleFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundleFolder.appendingPathComponent("manage").path,
                          TestDatabase.packageRoot + "/.build/debug/manage"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw ChildProcess.Failure(description:
            "the manage executable is not built: run `swift build --build-tests` (make test does) or `swift build --product manage` first")
    }

    /// Runs `manage arguments` to its end with `DATABASE_URL` (and `environment`); its exit status
    /// and everything it printed. A run still going after `giveUpAfter` seconds (a server that
    /// should have refused to start) is killed, and its status is 128 + SIGKILL.
    public static func run(_ arguments: [String], databaseURL: String, environment: [String: String] = [:],
                           giveUpAfter seconds: Double = 60) throws -> (status: Int32, output: String) {
        let child = try ChildProcess.spawn(path(), arguments, environment: environment.merging(["DATABASE_URL": databaseURL]) { $1 })
        defer { try? FileManager.default.removeItem(atPath: child.outputPath) }
        let deadline = Date().addingTimeInterval(seconds)
        var raw: Int32 = 0
        while waitpid(child.pid, &raw, WNOHANG) == 0 {
            if Date() > deadline {
                child.kill(SIGKILL)
                child.wait()
                return (128 + SIGKILL, child.output + "\n(killed: still running after \(seconds) s)")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let signal = raw & 0x7f
        return (signal == 0 ? (raw >> 8) & 0xff : 128 + signal, child.output)
    }
}
