@testable import BankApp
import Database
import Foundation
import Hummingbird
import Logging
import MigrationEngine
import NIOConcurrencyHelpers
import Testing
import TestSupport

/// The built `manage runserver`, as it runs in production: JSON logs, metrics on an address of
/// their own, and the drain after SIGTERM.
@Suite struct RunningItTests {
    @Test func jsonLogsOwnMetricsAddressAndTheShutdownDrain() async throws {
        try await withBankDatabase { url in
            let port = try await offPool { try PrivateCluster.freePortForTests() }
            let metricsPort = try await offPool { try PrivateCluster.freePortForTests() }
            let server = try ChildProcess.spawn(try ManageExecutable.path(), ["runserver", "127.0.0.1:\(port)"], environment: [
                "DATABASE_URL": url, "LOG_FORMAT": "json", "METRICS": "127.0.0.1:\(metricsPort)", "SHUTDOWN_DRAIN": "15",
            ])
            defer { try? FileManager.default.removeItem(atPath: server.outputPath) }
            var answered = false
            for _ in 0..<600 where !answered {
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
            for _ in 0..<100 where notReady.status != 503 {  // the drain is 15 s: time to see it on a loaded machine
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
