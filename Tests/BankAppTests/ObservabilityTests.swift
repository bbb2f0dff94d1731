@testable import BankApp
import Database
import Foundation
import Hummingbird
import Logging
import MigrationEngine
import NIOConcurrencyHelpers
import Testing
import TestSupport

/// `/metrics`, `/healthz`, `/readyz` and request ids against the running server (a real pool on
/// a real PostgreSQL).
@Suite struct ObservabilityTests {
    /// The value of one sample line of `/metrics` (`name{labels} value`), nil when absent.
    static func sample(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func metricsMoveAsRequestsAreServed() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url) { server in
                let created = try await server.post("/customer/", #"{"name": "Ada"}"#)
                let id = try #require(try JSONReader.parse(Array(created.body.utf8))["id"].flatMap(Identifier.parse(json:)))
                #expect(try await server.get("/customer/\(id)/").status == 200)
                #expect(try await server.get("/customer/999999/").status == 404)
                let metrics = try await server.get("/metrics")
                #expect(metrics.status == 200)
                #expect(metrics.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = metrics.body
                #expect(Self.sample(text, #"http_requests_total{route="/customer/",method="POST",status="2xx"}"#) == 1)
                #expect(Self.sample(text, #"http_requests_total{route="/customer/{id}/",method="GET",status="2xx"}"#) == 1)
                #expect(Self.sample(text, #"http_requests_total{route="/customer/{id}/",method="GET",status="4xx"}"#) == 1)
                #expect(!text.contains("/customer/\(id)/") && !text.contains("999999"), "a raw path in the metrics")
                #expect(Self.sample(text, #"http_request_duration_seconds_count{route="/customer/{id}/"}"#) == 2)
                #expect(Self.sample(text, #"http_request_duration_seconds_bucket{route="/customer/{id}/",le="0.001"}"#) != nil)
                #expect(Self.sample(text, #"http_request_duration_seconds_bucket{route="/customer/{id}/",le="1.0"}"#) == 2)
                #expect((Self.sample(text, #"database_transactions_total{outcome="committed"}"#) ?? 0) >= 3)
                #expect((Self.sample(text, "database_pool_connects_total") ?? 0) >= 1)
                #expect((Self.sample(text, "database_pool_acquires_total") ?? 0) >= 3)
                #expect(Self.sample(text, "database_pool_connections") != nil)
                #expect(Self.sample(text, "http_requests_in_flight") == 1, "the scrape itself is in flight")
                #expect((Self.sample(text, "process_resident_memory_bytes") ?? 0) > 1_000_000)
                #expect((Self.sample(text, "process_open_fds") ?? 0) > 3)
                let start = try #require(Self.sample(text, "process_start_time_seconds"))
                #expect(abs(start - Date().timeIntervalSince1970) < 3600)
                // A second scrape: counters only go up, by what happened in between.
                _ = try await server.get("/customer/\(id)/")
                let again = try await server.get("/metrics").body
                #expect(Self.sample(again, #"http_requests_total{route="/customer/{id}/",method="GET",status="2xx"}"#) == 2)
                #expect(Self.sample(again, #"http_requests_total{route="/metrics",method="GET",status="2xx"}"#) == 1)
            }
        }
    }

    @Test func aConflictForcedByAnotherTransactionShowsInTheRetryCounter() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url) { server in
                let created = try await server.post("/product/", #"{"name": "start", "price": "0"}"#)
                let id = try #require(try JSONReader.parse(Array(created.body.utf8))["id"].flatMap(Identifier.parse(json:)))
                let outside = try Connection(connectionString: url)
                defer { outside.close() }
                try outside.run("BEGIN")
                try outside.execute("UPDATE myproject_products SET price = price + 1 WHERE id = $1", [id])
                let reply = Task { try await server.put("/product/\(id)/", #"{"name": "writer"}"#).status }
                try await TestDatabase.waitForLockWaiter(url)
                try outside.run("COMMIT")  // the waiting update fails with 40001 and runs again
                #expect(try await reply.value == 200)
                let text = try await server.get("/metrics").body
                #expect((Self.sample(text, "database_serialization_retries_total") ?? 0) >= 1, "\(text)")
                #expect(Self.sample(text, #"database_transactions_total{outcome="retried"}"#) == 1)
            }
        }
    }

    @Test func readinessFollowsTheMigrationsAndHealthNeedsNoDatabase() async throws {
        let cluster = try await offPool { try PrivateCluster() }
        defer { cluster.destroy() }
        let migrations = try MigrationLoader.load(directory: migrationsDirectory)
        try await withLiveServer(databaseURL: cluster.url, configure: { $0.poolTimeout = .seconds(2) }, migrations: migrations) { server in
            let pending = try await server.get("/readyz")
            #expect(pending.status == 503)
            #expect(pending.body == #"{"status": "unapplied migrations", "unapplied": ["0001_initial"]}"#)
            try await offPool { try Migrator.migrate(connectionString: cluster.url, directory: migrationsDirectory) }
            let ready = try await server.get("/readyz")
            #expect(ready.status == 200 && ready.body == #"{"status": "ready"}"#)

            try await offPool { try cluster.stop() }
            let down = try await server.get("/readyz")
            #expect(down.status == 503)
            #expect(down.body.hasPrefix(#"{"status": "database unreachable", "detail": "#), "\(down.body)")
            #expect(!down.body.contains("password"))
            let health = try await server.get("/healthz")
            #expect(health.status == 200 && health.body == #"{"status": "ok"}"#)
            // Probes ask by IP address: no Host check for these.
            #expect(try await server.request(.get, "/healthz", host: "10.1.2.3:8000").status == 200)
            #expect(try await server.request(.head, "/healthz").status == 200)
            #expect(try await server.request(.post, "/healthz", body: "{}").status == 405)

            try await offPool { try cluster.start() }
            var back = 0
            for _ in 0..<40 where back != 200 {
                back = try await server.get("/readyz").status
                if back != 200 { try await Task.sleep(for: .milliseconds(250)) }
            }
            #expect(back == 200)
        }
    }

    @Test func theRequestIdIsEchoedAndOnTheLogLine() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url) { server in
                let given = try await server.request(.get, "/customer/", headers: [RequestIdentity.header: "trace-42:span/7"])
                #expect(given.headers[RequestIdentity.header] == "trace-42:span/7")
                #expect(server.logs.lines.contains { $0.contains("GET /customer/ 200") && $0.hasSuffix("[request_id=trace-42:span/7]") },
                        "\(server.logs.lines.suffix(3))")

                let fresh = try await server.get("/customer/")
                let id = try #require(fresh.headers[RequestIdentity.header])
                #expect(id.count >= 16 && id.allSatisfy(\.isHexDigit))
                #expect(server.logs.lines.contains { $0.hasSuffix("[request_id=\(id)]") })

                for hostile in [String(repeating: "a", count: 129), #"x" onload="y"#, "two words", "{\"json\": 1}"] {
                    let reply = try await server.request(.get, "/customer/", headers: [RequestIdentity.header: hostile])
                    let replaced = try #require(reply.headers[RequestIdentity.header])
                    #expect(replaced != hostile && replaced.allSatisfy(\.isHexDigit))
                    #expect(!server.logs.lines.contains { $0.contains(hostile) }, "logged raw: \(hostile)")
                }
            }
        }
    }

    @Test func metricsCanBeTurnedOff() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url, configure: { $0.metrics = .off }) { server in
                let metrics = try await server.get("/metrics")
                let health = try await server.get("/healthz")
                #expect(metrics.status == 404 && health.status == 200)
            }
        }
    }
}

/// The built `manage runserver`, as it runs in production: JSON logs, metrics on an address of
/// their own, and the drain after SIGTERM.
@Suite struct RunningItTests {
    @Test func jsonLogsOwnMetricsAddressAndTheShutdownDrain() async throws {
        try await withBankDatabase { url in
            let port = try await offPool { try PrivateCluster.freePortForTests() }
            let metricsPort = try await offPool { try PrivateCluster.freePortForTests() }
            let server = try ChildProcess.spawn(try ManageExecutable.path(), ["runserver", "127.0.0.1:\(port)"], environment: [
                "DATABASE_URL": url, "LOG_FORMAT": "json", "METRICS": "127.0.0.1:\(metricsPort)", "SHUTDOWN_DRAIN": "5",
            ])
            defer { try? FileManager.default.removeItem(atPath: server.outputPath) }
            var answered = false
            for _ in 0..<150 where !answered {
                answered = (try? await HTTP.send(port: port, .get, "/healthz", timeout: .seconds(2)))?.status == 200
                if !answered { try await Task.sleep(for: .milliseconds(100)) }
            }
            try #require(answered, "manage runserver did not answer: \(server.output)")
            #expect(try await HTTP.send(port: port, .get, "/metrics").status == 404, "metrics are on their own address")
            let scraped = try await HTTP.send(port: metricsPort, .get, "/metrics")
            #expect(scraped.status == 200 && scraped.body.contains(#"http_requests_total{route="/healthz",method="GET",status="2xx"}"#))
            #expect(try await HTTP.send(port: metricsPort, .get, "/customer/").status == 404)

            server.kill(SIGTERM)
            // Within the drain: not ready (once the signal is handled), still serving.
            var notReady = try await HTTP.send(port: port, .get, "/readyz")
            for _ in 0..<20 where notReady.status != 503 {
                try await Task.sleep(for: .milliseconds(100))
                notReady = try await HTTP.send(port: port, .get, "/readyz")
            }
            #expect(notReady.status == 503 && notReady.body == #"{"status": "shutting down"}"#)
            #expect(try await HTTP.send(port: port, .get, "/customer/").status == 200)
            let status = try await offPool { server.wait() }
            #expect(status == 0, "\(server.output)")

            // Every log line is one JSON object; request lines carry their fields.
            let logLines = server.output.split(separator: "\n").filter { $0.hasPrefix("{") }
            let objects = try logLines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
            let requests = objects.filter { $0["logger"] as? String == "bank.request" }
            #expect(requests.count >= 3, "\(server.output)")
            for request in requests {
                #expect(request["request_id"] is String && request["method"] is String && request["route"] is String)
                #expect(request["status"] is Int && request["duration_ms"] is Double && request["retries"] is Int)
            }
            #expect(requests.contains { $0["route"] as? String == "/readyz" && $0["status"] as? Int == 503 })
        }
    }
}

/// The parts that need no server.
@Suite struct ObservabilityUnitTests {
    @Test func saneRequestIdsAreKeptAndOthersRefused() {
        for sane in ["abc", "0f8fad5b-d9cb-469f-a165-70867728950e", "trace:span", "a+b/c=", "user@host", String(repeating: "x", count: 128)] {
            #expect(RequestIdentity.accepted(sane) == sane)
        }
        for insane in [nil, "", String(repeating: "x", count: 129), "a b", "a\u{01}b", "a\"b", "é", "a\tb", "<script>"] {
            #expect(RequestIdentity.accepted(insane) == nil, "\(String(describing: insane))")
        }
    }

    @Test func routeTemplatesNeverCarryTheRawPath() {
        #expect(RequestLogMiddleware.routeTemplate("/customer/12/?x=1") == "/customer/{id}/")
        #expect(RequestLogMiddleware.routeTemplate("/customer") == "/customer/")
        #expect(RequestLogMiddleware.routeTemplate("/product/abc/") == "/product/{id}/")
        #expect(RequestLogMiddleware.routeTemplate("/healthz/") == "/healthz")
        #expect(RequestLogMiddleware.routeTemplate("/wp-admin/../etc/passwd") == "other")
    }

    @Test func jsonLogLinesParseWithEveryField() throws {
        let lines = LinesBox()
        var logger = Logger(label: "bank.request") { BankLogHandler(label: $0, format: .json, level: .info, write: lines.append) }
        logger[metadataKey: "request_id"] = "r-1"
        logger.info("GET /customer/ 200 1.5ms", metadata: [
            "method": "GET", "route": "/customer/", "status": .stringConvertible(200),
            "duration_ms": .stringConvertible(1.5), "retries": .stringConvertible(0),
        ])
        logger.warning("a \"quoted\"\nline\u{01} with é", metadata: ["hb.request.id": "dropped"])
        let parsed = try lines.all.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(parsed.count == 2 && lines.all.allSatisfy { $0.hasSuffix("}\n") && $0.filter { $0 == "\n" }.count == 1 })
        #expect(parsed[0]["message"] as? String == "GET /customer/ 200 1.5ms")
        #expect(parsed[0]["level"] as? String == "info" && parsed[0]["logger"] as? String == "bank.request")
        #expect(parsed[0]["request_id"] as? String == "r-1" && parsed[0]["status"] as? Int == 200)
        #expect(parsed[0]["duration_ms"] as? Double == 1.5 && parsed[0]["retries"] as? Int == 0)
        #expect((parsed[0]["time"] as? String)?.hasSuffix("Z") == true)
        #expect(parsed[1]["message"] as? String == "a \"quoted\"\nline\u{01} with é")
        #expect(parsed[1]["hb.request.id"] == nil, "Hummingbird's id is replaced by the request's")
    }

    @Test func textLinesSayTheRequestIdOnceAndLeaveOutWhatTheMessageSays() {
        let lines = LinesBox()
        var logger = Logger(label: "bank.request") { BankLogHandler(label: $0, format: .text, level: .info, write: lines.append) }
        logger[metadataKey: "request_id"] = "r-2"
        logger.info("PUT /product/1/ 200 3.1ms retries=2", metadata: ["method": "PUT", "status": .stringConvertible(200), "retries": .stringConvertible(2)])
        logger.debug("below the level")
        #expect(lines.all.count == 1)
        #expect(lines.all[0].hasSuffix(" info bank.request: request_id=r-2 PUT /product/1/ 200 3.1ms retries=2\n"), "\(lines.all)")
    }

    @Test func readinessTurnsOffAtOnceWhenShutdownStarts() async {
        // A pool whose database is nowhere: the status must come without asking it.
        let pool = ConnectionPool(configuration: PoolConfiguration(connectionString: "postgresql://django@127.0.0.1:1/bank?connect_timeout=1"))
        let readiness = Readiness(pool: pool, migrations: [])
        readiness.beginShutdown()
        #expect(await readiness.status() == .shuttingDown)
        await pool.shutdown()
    }

    @Test func settingsForMetricsLogFormatAndDrain() throws {
        let settings = try ServerSettings.resolve(flags: .init(), environment: ["METRICS": "127.0.0.1:9100", "LOG_FORMAT": "JSON", "SHUTDOWN_DRAIN": "2.5"])
        #expect(settings.metrics == .ownAddress(host: "127.0.0.1", port: 9100))
        #expect(settings.logFormat == .json)
        #expect(settings.shutdownDrain == .milliseconds(2500))
        #expect(try ServerSettings.resolve(flags: .init(metrics: "off"), environment: ["METRICS": "on"]).metrics == .off)
        #expect(try ServerSettings.resolve(flags: .init(), environment: [:]).metrics == .sameAddress)
        #expect(throws: SettingsError("METRICS must be on, off, or an address ([addr:]port) of its own, got 'sometimes'")) {
            try ServerSettings.resolve(flags: .init(), environment: ["METRICS": "sometimes"])
        }
        #expect(throws: SettingsError("--log-format must be text or json, got 'xml'")) {
            try ServerSettings.resolve(flags: .init(logFormat: "xml"), environment: [:])
        }
        #expect(throws: SettingsError.self) { try ServerSettings.resolve(flags: .init(shutdownDrain: "-1"), environment: [:]) }
    }
}

/// Lines written by a log handler, kept for assertions.
final class LinesBox: Sendable {
    private let storage = NIOLockedValueBox<[String]>([])
    var all: [String] { storage.withLockedValue { $0 } }
    @Sendable func append(_ line: String) { storage.withLockedValue { $0.append(line) } }
}
