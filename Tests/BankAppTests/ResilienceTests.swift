@testable import BankApp
import Database
import Foundation
import Hummingbird
import Logging
import MigrationEngine
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import Testing
import TestSupport

@Suite("Concurrency, outages and streaming failures")
struct ResilienceTests {
    @Test func concurrentUpdatesOfOneProductAllSucceedQueuedInTheServerWithoutConflicts() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url, configure: { $0.retryAttempts = 3; $0.poolSize = 8 }) { server in
                let created = try await server.post("/product/", #"{"name": "start", "price": "0"}"#)
                let id = try #require(try JSONReader.parse(Array(created.body.utf8))["id"].flatMap(Identifier.parse(json:)))
                let writers = 40
                let replies = try await withThrowingTaskGroup(of: (Int, LiveServer.Reply).self) { group in
                    for i in 1...writers {
                        group.addTask {
                            (i, try await server.put("/product/\(id)/", #"{"name": "writer \#(i)", "price": "\#(i).\#(String(format: "%02d", i % 100))"}"#))
                        }
                    }
                    return try await group.reduce(into: [(Int, LiveServer.Reply)]()) { $0.append($1) }
                }
                #expect(replies.count == writers)
                for (i, reply) in replies {
                    #expect(reply.status == 200, "writer \(i): \(reply.status) \(reply.body)")
                    let cents = String(format: "%02d", i % 100)
                    #expect(reply.body == #"{"id": \#(id), "name": "writer \#(i)", "price": "\#(i).\#(cents)"}"#)
                }
                // The final row is one writer's whole update, never a mix of two.
                let final = try await server.get("/product/\(id)/")
                let writer = try #require(replies.first { $0.1.body == final.body }, "final row \(final.body) is no writer's")
                #expect(final.body.contains("writer \(writer.0)\""))
                // Same-row writes wait their turn in the server instead of conflicting in the database
                // (40001 under SERIALIZABLE, which took 40 writers up to dozens of retries before).
                #expect(server.pool.statistics.retries == 0)
                #expect(!server.logs.lines.contains { $0.contains("retries=") })
                let requestLines = server.logs.lines.filter { $0.contains("PUT /product/\(id)/ ") }
                #expect(requestLines.count == writers)
            }
        }
    }

    @Test func conflictsWithAnotherProcessAreRetriedAndLogged() async throws {
        try await withBankDatabase { url in
            try await withLiveServer(databaseURL: url, configure: { $0.retryAttempts = 100; $0.poolSize = 8 }) { server in
                let created = try await server.post("/product/", #"{"name": "start", "price": "0"}"#)
                let id = try #require(try JSONReader.parse(Array(created.body.utf8))["id"].flatMap(Identifier.parse(json:)))
                // Another process holds the row: its transaction has updated it and not committed yet.
                let outside = try Connection(connectionString: url)
                defer { outside.close() }
                try TestDatabase.beginLockHolder(outside)
                try outside.execute("UPDATE myproject_products SET price = price + 1 WHERE id = $1", [id])
                let writers = 5
                let replies = Task(executorPreference: BlockingAllowedExecutor.shared) {
                    try await withThrowingTaskGroup(of: Int.self) { group in
                        for i in 1...writers {
                            group.addTask { try await server.put("/product/\(id)/", #"{"name": "writer \#(i)"}"#).status }
                        }
                        return try await group.reduce(into: [Int]()) { $0.append($1) }
                    }
                }
                // Once the server's first update waits for that row lock, the other process commits.
                try await TestDatabase.waitForLockWaiter(url)
                try outside.run("COMMIT")
                #expect(try await replies.value == Array(repeating: 200, count: writers))
                // PostgreSQL SERIALIZABLE makes the waiting update fail once the other commits (40001):
                // it was retried, and the retry is in the request log.
                let retried = server.logs.lines.filter { $0.contains("PUT /product/\(id)/ 200") && $0.contains("retries=") }
                #expect(!retried.isEmpty, "no retries logged: \(server.logs.lines.suffix(5))")
                #expect(server.pool.statistics.retries > 0)
            }
        }
    }

    @Test func databaseRestartGives503ThenRecovers() async throws {
        // Its own cluster (never restart the shared one); its scripts block, so they run off the pool.
        let cluster = try await offPool { try PrivateCluster() }
        defer { cluster.destroy() }
        try await offPool { try Migrator.migrate(connectionString: cluster.url, directory: migrationsDirectory) }
        try await withLiveServer(databaseURL: cluster.url, configure: { $0.poolTimeout = .seconds(2) }) { server in
            let created = try await server.post("/customer/", #"{"name": "Carl"}"#)
            #expect(created.status == 200)
            try await offPool { try cluster.stop() }
            for request in [("GET", "/customer/"), ("POST", "/customer/"), ("GET", "/order/1/")] {
                let reply = request.0 == "GET" ? try await server.get(request.1) : try await server.post(request.1, #"{"name": "x"}"#)
                #expect(reply.status == 503, "\(request): \(reply.status) \(reply.body)")
                #expect(reply.headers[.retryAfter] != nil)
                #expect(reply.body.hasPrefix(#"{"error": "#))
                #expect(!reply.body.contains("SQLSTATE") && !reply.body.contains("connection to server"))
            }
            #expect(try await server.get("/ping/").status == 200, "the server itself stays up")
            try await offPool { try cluster.start() }
            var recovered: LiveServer.Reply?
            for _ in 0..<240 {  // up to a minute on a loaded machine
                let reply = try await server.get("/customer/")
                if reply.status == 200 { recovered = reply; break }
                try await Task.sleep(for: .milliseconds(250))
            }
            let reply = try #require(recovered, "no recovery after the database came back")
            #expect(reply.body.contains(#""name": "Carl""#))
            #expect(try await server.post("/customer/", #"{"name": "After"}"#).status == 200)
            #expect(server.logs.lines.contains { $0.contains(" 503 ") })
        }
    }

    /// A list that fails after its first bytes cannot change its status: the connection is closed
    /// without the closing `]`, so the client never sees a well-formed partial list.
    @Test func streamedListFailingMidwayIsTruncatedNotClosed() async throws {
        struct Boom: Error {}
        let calls = NIOLockedCounter()
        let stream = ListStream<CustomerRecord>(fetch: { after, limit in
            if calls.increment() > 1 { throw Boom() }
            return (1...Int64(limit)).map { CustomerRecord(id: after + $0, name: "c\(after + $0)") }
        }, id: \.id, batchSize: 2)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            responder: CallbackResponder<BasicRequestContext> { _, _ in
                try await stream.response(for: ListQuery(), head: false)
            },
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
        var quiet = Logger(label: "quiet")
        quiet.logLevel = .critical
        let group = ServiceGroup(configuration: .init(services: [app], logger: quiet))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let raw = try await RawHTTP.exchange(port: port, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(raw.hasPrefix("HTTP/1.1 200"))
            #expect(raw.contains(#"[{"id": 1, "name": "c1"}, {"id": 2, "name": "c2"}"#))
            #expect(!raw.contains("]"), "\(raw)")
            #expect(!raw.hasSuffix("0\r\n\r\n"), "the chunked body must not be terminated")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func startupLinesAndMigrationWarning() async throws {
        var settings = ServerSettings()
        settings.host = "0.0.0.0"
        let banner = BankServer.startupBanner(settings: settings, boundPort: 8000)
        #expect(banner.contains("Starting server at http://0.0.0.0:8000/\nQuit the server with CONTROL-C."))
        try await TestDatabase.withFreshDatabase { url in
            settings.databaseURL = url
            let warning = try #require(BankServer.migrationWarning(settings: settings, directory: migrationsDirectory))
            #expect(warning.contains("You have 1 unapplied migration(s)"))
            #expect(warning.contains("Run 'manage migrate' to apply them."))
            try Migrator.migrate(connectionString: url, directory: migrationsDirectory)
            #expect(BankServer.migrationWarning(settings: settings, directory: migrationsDirectory) == nil)
        }
    }
}

/// Runs blocking work (scripts, a migration) on a thread of its own, not on the cooperative pool.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// A counter shared by concurrent closures.
final class NIOLockedCounter: Sendable {
    private let value = NIOLockedValueBox(0)
    func increment() -> Int { value.withLockedValue { $0 += 1; return $0 } }
}
