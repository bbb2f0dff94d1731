import Foundation

/// A CA, a server certificate (localhost, 127.0.0.1, ::1) and a client certificate for `django`,
/// made by scripts/make-certs in a folder of their own, removed by `remove()`.
public final class TestCertificates: Sendable {
    public let directory: String

    public init() throws {
        directory = "/tmp/bank-certs-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        try PrivateCluster.runScript("make-certs", [directory])
    }

    public var caCertificate: String { directory + "/ca.crt" }
    public var clientCertificate: String { directory + "/client.django.crt" }
    public var clientKey: String { directory + "/client.django.key" }

    /// The tutorial's secure settings as a libpq URI for `port`:
    /// `sslmode=verify-full&sslrootcert=...&sslcert=...&sslkey=...`; each part can be replaced.
    public func url(port: Int, sslmode: String = "verify-full", rootCertificate: String? = nil,
                    certificate: String? = nil, key: String? = nil) -> String {
        "postgresql://django@localhost:\(port)/bank?sslmode=\(sslmode)&sslrootcert=\(rootCertificate ?? caCertificate)"
            + "&sslcert=\(certificate ?? clientCertificate)&sslkey=\(key ?? clientKey)"
    }

    /// A copy of the client key with `mode` (e.g. 0o644, which libpq refuses).
    public func keyCopy(mode: mode_t) throws -> String {
        let path = directory + "/client.django.mode\(String(mode, radix: 8)).key"
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.copyItem(atPath: clientKey, toPath: path)
        }
        guard chmod(path, mode) == 0 else { throw ChildProcess.Failure(description: "chmod \(path) failed") }
        return path
    }

    public func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

extension PrivateCluster {
    /// A cluster with `ssl = on` on `certificates`' server certificate, where django may connect
    /// over TLS only, by client certificate (pg_hba `hostssl all django 127.0.0.1/32 cert`).
    public static func certificateMode(_ certificates: TestCertificates) throws -> PrivateCluster {
        try PrivateCluster(creationOptions: ["--tls", certificates.directory])
    }

    /// A cluster where django must give `password` (scram-sha-256); no TLS.
    public static func passwordMode(_ password: String) throws -> PrivateCluster {
        try PrivateCluster(creationOptions: ["--password", password])
    }

    /// A TCP port free on loopback (scripts/free-port).
    public static func freePortForTests() throws -> Int { try freePort() }

    /// `postgresql://django:PASSWORD@localhost:PORT/bank?sslmode=disable`, the password
    /// percent-encoded.
    public func url(password: String) -> String {
        let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? password
        return "postgresql://django:\(encoded)@localhost:\(port)/bank?sslmode=disable"
    }
}


/// `manage runserver` as a child process on a free loopback port.
public final class ManageServer: @unchecked Sendable {
    public let process: ChildProcess
    public let port: Int
    private var status: Int32?

    /// Starts it and waits until it prints its "Starting server at" line (or gives up after
    /// 60 seconds, or when it exits first, throwing with its output).
    public init(databaseURL: String, arguments: [String] = [], environment: [String: String] = [:]) throws {
        port = try PrivateCluster.freePort()
        process = try ChildProcess.spawn(
            try ManageExecutable.path(), ["runserver", "127.0.0.1:\(port)"] + arguments,
            environment: environment.merging(["DATABASE_URL": databaseURL]) { $1 })
        let deadline = Date().addingTimeInterval(60)
        while !process.output.contains("Starting server at") {
            var raw: Int32 = 0
            if waitpid(process.pid, &raw, WNOHANG) == process.pid {
                status = raw
                throw ChildProcess.Failure(description: "manage runserver exited before serving: \(process.output)")
            }
            if Date() > deadline {
                stop()
                throw ChildProcess.Failure(description: "manage runserver did not start within 60 s: \(process.output)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    public var output: String { process.output }

    /// SIGTERM (a graceful stop), then waits for it; returns everything it printed.
    @discardableResult
    public func stop() -> String {
        if status == nil {
            process.kill(SIGTERM)
            status = process.wait()
        }
        let text = process.output
        try? FileManager.default.removeItem(atPath: process.outputPath)
        return text
    }

    deinit { if status == nil { process.kill(SIGKILL); _ = process.wait() } }
}
