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
                try TestDatabase.beginLockHolder(outside)
                try outside.execute("UPDATE myproject_products SET price = price + 1 WHERE id = $1", [id])
                let reply = Task(executorPreference: BlockingAllowedExecutor.shared) { try await server.put("/product/\(id)/", #"{"name": "writer"}"#).status }
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
            for _ in 0..<240 where back != 200 {  // up to a minute on a loaded machine
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
