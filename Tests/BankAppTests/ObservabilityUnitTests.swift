@testable import BankApp
import Database
import Foundation
import Hummingbird
import Logging
import MigrationEngine
import NIOConcurrencyHelpers
import Testing
import TestSupport

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
        #expect(Routing("/customer/12/?x=1").template == "/customer/{id}/")
        #expect(Routing("/customer").template == "/customer/")
        #expect(Routing("/product/abc/").template == "/product/{id}/")
        #expect(Routing("/healthz/").template == "/healthz")
        #expect(Routing("/wp-admin/../etc/passwd").template == "other")
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
