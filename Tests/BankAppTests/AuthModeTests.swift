@testable import BankApp
import Database
import Foundation
import Testing
import TestSupport

/// The three ways the tutorial connects (client certificate, password, insecure), each against a
/// real server of its own, through `manage migrate` and `manage runserver` as child processes;
/// the start-up refusals (one line, non-zero exit, nothing served); and no password in any output.
@Suite("Auth modes: certificate, password, trust; start-up refusal; passwords never printed")
struct AuthModeTests {
    // MARK: - certificate mode (the tutorial's secure settings)

    @Test func certificateModeServesTheTutorialFlowAndRefusesBadCertificates() async throws {
        let (certificates, strangers) = try await offPool { (try TestCertificates(), try TestCertificates()) }
        defer { certificates.remove(); strangers.remove() }
        let cluster = try await offPool { try PrivateCluster.certificateMode(certificates) }
        defer { cluster.destroy() }
        let url = certificates.url(port: cluster.port)

        // The cluster takes django over TLS with its certificate only.
        #expect(throws: DatabaseError.self, "a plain connection must be refused") {
            try Connection(connectionString: "postgresql://django@localhost:\(cluster.port)/bank?sslmode=disable")
        }
        #expect(throws: DatabaseError.self, "TLS without the client certificate must be refused") {
            try Connection(connectionString: "postgresql://django@localhost:\(cluster.port)/bank?sslmode=verify-full&sslrootcert=\(certificates.caCertificate)")
        }

        let migrate = try await offPool { try ManageExecutable.run(["migrate"], databaseURL: url) }
        #expect(migrate.status == 0, "migrate: \(migrate.output)")
        #expect(migrate.output.contains("Applying myproject.0001_initial... OK"))

        let server = try await offPool { try ManageServer(databaseURL: url) }
        let created = try await childHTTP(port: server.port, "POST", "/customer/", body: #"{"name": "Secure Carl"}"#)
        let id = try #require(created.id, "POST /customer/: \(created.status) \(created.body)")
        #expect(created.status == 200)
        let fetched = try await childHTTP(port: server.port, "GET", "/customer/\(id)/")
        #expect(fetched.status == 200)
        #expect(fetched.body == #"{"id": \#(id), "name": "Secure Carl"}"#)
        let output = try await offPool { server.stop() }
        #expect(output.contains("Database \(url)"), "the start-up lines name the database: \(output)")

        // The row landed, and the server's connections are TLS with django's certificate.
        let check = try Connection(connectionString: url)
        defer { check.close() }
        #expect(try check.execute("SELECT name FROM myproject_customers WHERE id = $1", [id]).first?.decode(String.self, at: 0) == "Secure Carl")
        let tls = try #require(try check.execute("SELECT ssl, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()").first)
        #expect(try tls.decode(Bool.self, at: 0))
        #expect(try tls.decode(String?.self, at: 1)?.contains("CN=django") == true)

        // Start-up refusals: one line each, non-zero exit, never "Starting server".
        let refusals: [(what: String, url: String, mentions: String)] = [
            ("a CA that did not sign the server's certificate",
             certificates.url(port: cluster.port, rootCertificate: strangers.caCertificate), "certificate verify failed"),
            ("a key file that does not exist",
             certificates.url(port: cluster.port, key: certificates.directory + "/missing.key"), "missing.key"),
            ("a key readable by group and others",
             certificates.url(port: cluster.port, key: try certificates.keyCopy(mode: 0o644)), "has group or world access"),
            ("a client certificate from another CA",
             certificates.url(port: cluster.port, certificate: strangers.clientCertificate, key: strangers.clientKey), "failed"),
        ]
        for refusal in refusals {
            for command in [["runserver", "127.0.0.1:0"], ["migrate"]] {
                let run = try await offPool { try ManageExecutable.run(command, databaseURL: refusal.url) }
                expectOneLineRefusal(run, command: command, mentions: refusal.mentions, because: refusal.what)
            }
        }
    }

    // MARK: - password mode

    @Test func passwordModeServesAndThePasswordIsNeverPrinted() async throws {
        let password = "Pw-\(UUID().uuidString.prefix(8))-s3cr"
        let wrong = "Wr-\(UUID().uuidString.prefix(8))-s3cr"
        let cluster = try await offPool { try PrivateCluster.passwordMode(password) }
        defer { cluster.destroy() }
        let url = cluster.url(password: password)

        #expect(throws: DatabaseError.self, "without the password django must be refused") {
            try Connection(connectionString: "postgresql://django@localhost:\(cluster.port)/bank?sslmode=disable")
        }
        var outputs: [(String, String)] = []

        let migrate = try await offPool { try ManageExecutable.run(["migrate"], databaseURL: url) }
        #expect(migrate.status == 0, "migrate: \(migrate.output)")
        outputs.append(("migrate", migrate.output))
        for command in [["showmigrations"], ["migrate", "--plan"], ["check"], ["--help"], ["runserver", "--help"],
                        ["migrate", "--help"], ["help", "runserver"]] {
            let run = try await offPool { try ManageExecutable.run(command, databaseURL: url) }
            outputs.append((command.joined(separator: " "), run.output))
        }

        let server = try await offPool { try ManageServer(databaseURL: url, arguments: ["--log-level", "debug"]) }
        let created = try await childHTTP(port: server.port, "POST", "/customer/", body: #"{"name": "Password Carl"}"#)
        #expect(created.status == 200, "POST: \(created.status) \(created.body)")
        let id = try #require(created.id)
        #expect(try await childHTTP(port: server.port, "GET", "/customer/\(id)/").status == 200)
        // With the database gone: 503s, whose bodies and log lines must not carry the password either.
        try await offPool { try cluster.stop() }
        for path in ["/customer/\(id)/", "/customer/"] {
            let reply = try await childHTTP(port: server.port, "GET", path)
            #expect(reply.status == 503, "GET \(path) with the database down: \(reply.status) \(reply.body)")
            outputs.append(("503 body of GET \(path)", reply.head + "\r\n\r\n" + reply.body))
        }
        let post = try await childHTTP(port: server.port, "POST", "/customer/", body: #"{"name": "x"}"#)
        #expect(post.status == 503)
        outputs.append(("503 body of POST", post.body))
        try await offPool { try cluster.start() }
        let serverOutput = try await offPool { server.stop() }
        outputs.append(("runserver", serverOutput))
        let redactedURL = "postgresql://django:****@localhost:\(cluster.port)/bank?sslmode=disable"
        #expect(serverOutput.contains("Database \(redactedURL)"), "start-up lines: \(serverOutput)")
        #expect(serverOutput.contains(" 503 "), "the 503s are logged: \(serverOutput)")

        // The row landed.
        let check = try Connection(connectionString: url)
        defer { check.close() }
        #expect(try check.execute("SELECT name FROM myproject_customers WHERE id = $1", [id]).first?.decode(String.self, at: 0) == "Password Carl")

        // Wrong passwords, in each place a connection string can hold one: refused on one line, unprinted.
        let wrongURLs = [
            cluster.url(password: wrong),
            "postgresql://django@localhost:\(cluster.port)/bank?sslmode=disable&password=\(wrong)",
            "host=localhost port=\(cluster.port) dbname=bank user=django password='\(wrong)' sslmode=disable",
        ]
        for wrongURL in wrongURLs {
            for command in [["runserver", "127.0.0.1:0"], ["migrate"]] {
                let run = try await offPool { try ManageExecutable.run(command, databaseURL: wrongURL) }
                expectOneLineRefusal(run, command: command, mentions: #"password authentication failed for user "django""#,
                                     because: "a wrong password")
                outputs.append(("\(command[0]) with a wrong password", run.output))
            }
        }
        // libpq quotes the piece of a URI it cannot decode: that piece is the password here.
        let undecodable = "postgresql://django:\(password)%zz@localhost:\(cluster.port)/bank?sslmode=disable"
        let run = try await offPool { try ManageExecutable.run(["runserver", "127.0.0.1:0"], databaseURL: undecodable) }
        expectOneLineRefusal(run, command: ["runserver"], mentions: "invalid percent-encoded token", because: "a bad URI")
        outputs.append(("runserver with an undecodable URI", run.output))

        for (what, text) in outputs {
            #expect(!text.contains(password), "\(what) printed the password: \(text)")
            #expect(!text.contains(wrong), "\(what) printed the wrong password: \(text)")
        }
    }

    // MARK: - trust mode, and a server that is not there

    @Test func trustModeServesAndAnUnreachableServerIsRefused() async throws {
        try await withBankDatabase { url in
            let server = try await offPool { try ManageServer(databaseURL: url) }
            let created = try await childHTTP(port: server.port, "POST", "/customer/", body: #"{"name": "Trusting Carl"}"#)
            #expect(created.status == 200, "POST: \(created.status) \(created.body)")
            let output = try await offPool { server.stop() }
            #expect(output.contains("Starting server at http://127.0.0.1:\(server.port)/"))
            #expect(!output.contains("CommandError"))
            let id = try #require(created.id)
            let check = try Connection(connectionString: url)
            defer { check.close() }
            #expect(try check.execute("SELECT count(*) FROM myproject_customers WHERE id = $1", [id]).first?.decode(Int64.self, at: 0) == 1)
        }
        let port = try await offPool { try PrivateCluster.freePortForTests() }
        let nowhere = "postgresql://django:n0where-pw@localhost:\(port)/bank?sslmode=disable&connect_timeout=3"
        for command in [["runserver", "127.0.0.1:0"], ["migrate"], ["showmigrations"], ["check"]] {
            let run = try await offPool { try ManageExecutable.run(command, databaseURL: nowhere) }
            expectOneLineRefusal(run, command: command, mentions: "Connection refused", because: "nothing listening")
            #expect(!run.output.contains("n0where-pw"))
        }
    }
}

/// `manage <command>` refused to start: a non-zero exit, exactly one line of output,
/// `CommandError: cannot connect to the database at <redacted URL>: ...` naming the cause, and
/// nothing served or migrated (migrate connects before it prints "Operations to perform:").
func expectOneLineRefusal(_ run: (status: Int32, output: String), command: [String], mentions: String, because what: String,
                          sourceLocation: SourceLocation = #_sourceLocation) {
    let lines = run.output.split(separator: "\n", omittingEmptySubsequences: true)
    let context = "manage \(command.joined(separator: " ")) with \(what): exit \(run.status), output: \(run.output)"
    #expect(run.status != 0, "\(context)", sourceLocation: sourceLocation)
    #expect(lines.count == 1, "\(context)", sourceLocation: sourceLocation)
    #expect(lines.last?.contains(mentions) == true, "expected '\(mentions)': \(context)", sourceLocation: sourceLocation)
    #expect(run.output.hasPrefix("CommandError: cannot connect to the database at "), "\(context)", sourceLocation: sourceLocation)
}
