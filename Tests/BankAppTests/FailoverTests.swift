@testable import BankApp
import Database
import Foundation
import MigrationEngine
import Testing
import TestSupport

/// `DATABASE_URL` with two hosts (libpq's multi-host syntax), over two clusters of the tests' own,
/// each migrated. Data is not replicated between them: the checks are that requests succeed
/// through whichever answers, and fail cleanly (503) while none does.
@Suite("Failover: two hosts in DATABASE_URL")
struct FailoverTests {
    @Test func startsThroughTheSecondHostAndFailsOverWhenTheHostInUseDies() async throws {
        async let startedFirst = offPool { try PrivateCluster() }
        async let startedSecond = offPool { try PrivateCluster() }
        let (first, second) = try await (startedFirst, startedSecond)
        defer { first.destroy(); second.destroy() }
        try await offPool {
            try Migrator.migrate(connectionString: first.url, directory: migrationsDirectory)
            try Migrator.migrate(connectionString: second.url, directory: migrationsDirectory)
            try first.stop()
        }
        let url = "postgresql://django@localhost:\(first.port),localhost:\(second.port)/bank?sslmode=disable&connect_timeout=3"

        // 1. The first host down: `manage runserver` passes its start-up check through the second and serves.
        let child = try await offPool { try ManageServer(databaseURL: url) }
        let viaSecond = try await childHTTP(port: child.port, "POST", "/customer/", body: #"{"name": "via second"}"#)
        #expect(viaSecond.status == 200, "POST: \(viaSecond.status) \(viaSecond.body)")
        let secondID = try #require(viaSecond.id)
        #expect(try await childHTTP(port: child.port, "GET", "/customer/\(secondID)/").body.contains("via second"))
        let childOutput = try await offPool { child.stop() }
        #expect(childOutput.contains("Database \(url)"))
        #expect(try names(in: second, id: secondID) == ["via second"])

        try await withLiveServer(databaseURL: url, configure: { $0.poolTimeout = .seconds(3) }) { server in
            let before = try await server.post("/customer/", #"{"name": "before"}"#)
            #expect(before.status == 200)
            let beforeID = try #require(ChildHTTPReply(status: before.status, head: "", body: before.body).id)
            #expect(try names(in: second, id: beforeID) == ["before"])

            // 2. A request in flight on the second when it dies: a PUT waiting for a row lock.
            let locker = try Connection(connectionString: second.url)
            defer { locker.close() }
            try locker.run("BEGIN")
            try locker.execute("SELECT id FROM myproject_customers WHERE id = $1 FOR UPDATE", [beforeID])
            let inFlight = Task(executorPreference: BlockingAllowedExecutor.shared) { try await server.put("/customer/\(beforeID)/", #"{"name": "renamed"}"#) }
            try await waitUntil("the PUT waits for the lock on the second cluster") {
                try lockWaiters(on: second) > 0
            }
            try await offPool { try second.stop() }  // fast shutdown: every session on it ends now
            // Usually a 503. But the postmaster signals its sessions one after another: when the
            // lock holder's ends first, the PUT (one round trip) can commit before its own
            // session is told to end, and then the answer is a true 200. Either way the answer
            // must match what the second cluster holds (checked in 4, once it is up again).
            let inFlightAnswer = try await inFlight.value
            if inFlightAnswer.status != 200 {
                #expect(inFlightAnswer.status == 503, "the request in flight: \(inFlightAnswer.status) \(inFlightAnswer.body)")
                #expect(inFlightAnswer.headers[.retryAfter] != nil)
                #expect(inFlightAnswer.body.hasPrefix(#"{"error": "#))
            }

            // 3. The first comes back: later requests go through it, with no restart of the service.
            try await offPool { try first.start() }
            var created: LiveServer.Reply?
            for _ in 0..<240 {  // up to a minute on a loaded machine
                let reply = try await server.post("/customer/", #"{"name": "via first"}"#)
                if reply.status == 200 { created = reply; break }
                #expect(reply.status == 503, "while failing over: \(reply.status) \(reply.body)")
                try await Task.sleep(for: .milliseconds(250))
            }
            let reply = try #require(created, "no request succeeded through the first cluster")
            let firstID = try #require(ChildHTTPReply(status: reply.status, head: "", body: reply.body).id)
            let fetched = try await server.get("/customer/\(firstID)/")
            #expect(fetched.status == 200)
            #expect(fetched.body.contains("via first"))
            #expect(try names(in: first, id: firstID) == ["via first"])

            // 4. And back: the second up again, the first (now in use) dies with nothing in flight;
            // requests go through the second, the idle connections to the first being replaced.
            try await offPool { try second.start() }
            try await offPool { try first.stop() }
            var again: LiveServer.Reply?
            for _ in 0..<240 {  // up to a minute on a loaded machine
                let reply = try await server.post("/customer/", #"{"name": "second again"}"#)
                if reply.status == 200 { again = reply; break }
                #expect(reply.status == 503, "while failing back: \(reply.status) \(reply.body)")
                try await Task.sleep(for: .milliseconds(250))
            }
            let back = try #require(again, "no request succeeded through the second cluster again")
            let backID = try #require(ChildHTTPReply(status: back.status, head: "", body: back.body).id)
            #expect(try await server.get("/customer/\(backID)/").status == 200)
            #expect(try names(in: second, id: backID) == ["second again"])
            #expect(try names(in: second, id: beforeID) == [inFlightAnswer.status == 200 ? "renamed" : "before"],
                     "the PUT in flight answered \(inFlightAnswer.status)")
        }
    }

    private func names(in cluster: PrivateCluster, id: Int64) throws -> [String] {
        let connection = try Connection(connectionString: cluster.url)
        defer { connection.close() }
        return try connection.execute("SELECT name FROM myproject_customers WHERE id = $1", [id]).map { try $0.decode(String.self, at: 0) }
    }

    private func lockWaiters(on cluster: PrivateCluster) throws -> Int64 {
        let connection = try Connection(connectionString: cluster.url)
        defer { connection.close() }
        return try connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = 'bank' AND wait_event_type = 'Lock'")[0].decode(Int64.self, at: 0)
    }

    /// Polls (no timing assertion: only a generous give-up bound) until `condition` holds.
    private func waitUntil(_ what: String, _ condition: @escaping @Sendable () throws -> Bool) async throws {
        for _ in 0..<600 {
            if try await offPool(condition) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("gave up waiting until \(what)")
        throw CancellationError()
    }
}
