@testable import BankApp
import Database
import NIOConcurrencyHelpers
import Testing

/// The adaptive limit on concurrent order transactions: its arithmetic, and the line it keeps.
@Suite struct ConcurrencyLimitTests {
    @Test func conflictsCutTheLimitAndCleanCommitsRaiseItSlowly() {
        var limit = AIMDLimit(initial: 4, minimum: 1, maximum: 8)
        #expect(limit.permitted == 4)
        limit.record(conflicted: true)
        #expect(limit.permitted == 3 && limit.value == 3)
        for _ in 0..<10 { limit.record(conflicted: true) }
        #expect(limit.permitted == 1, "never below the minimum")
        var cleanCommits = 0
        while limit.permitted < 2 { limit.record(conflicted: false); cleanCommits += 1 }
        #expect(cleanCommits == 1, "from 1, one clean commit adds one")
        while limit.permitted < 8 { limit.record(conflicted: false); cleanCommits += 1 }
        #expect(cleanCommits > 20, "additive: about the limit's worth of clean commits per step, \(cleanCommits)")
        for _ in 0..<100 { limit.record(conflicted: false) }
        #expect(limit.permitted == 8, "never above the maximum")
    }

    @Test func atMostTheLimitRunAndTheRestGoInArrivalOrder() async throws {
        let limit = ConcurrencyLimit(initial: 2, minimum: 1, maximum: 2)
        let running = NIOLockedValueBox((now: 0, most: 0))
        let order = NIOLockedValueBox<[Int]>([])
        let gate = AsyncStream<Void>.makeStream()
        // The first two hold their slots until the gate opens; the others queue in the order they arrive.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<6 {
                group.addTask {
                    _ = try await limit.run { () async throws -> Committed<Int> in
                        running.withLockedValue { $0.now += 1; $0.most = max($0.most, $0.now) }
                        order.withLockedValue { $0.append(index) }
                        if index < 2 { for await _ in gate.stream { break } }
                        running.withLockedValue { $0.now -= 1 }
                        return Committed(value: index, attempts: 1)
                    }
                }
                // Arrival order is the index order.
                while limit.snapshot.running + limit.snapshot.waiting <= index { await Task.yield() }
            }
            #expect(limit.snapshot.waiting == 4)
            gate.continuation.yield()
            gate.continuation.yield()
            gate.continuation.finish()
            try await group.waitForAll()
        }
        #expect(running.withLockedValue { $0.most } == 2)
        #expect(order.withLockedValue { $0 }.dropFirst(2) == [2, 3, 4, 5])
        #expect(limit.snapshot.running == 0 && limit.snapshot.waiting == 0)
    }

    @Test func aConflictLowersTheLimitForThoseWaiting() async throws {
        let limit = ConcurrencyLimit(initial: 4, minimum: 1, maximum: 4)
        _ = try await limit.run { Committed(value: 0, attempts: 3) }
        #expect(limit.snapshot.limit == 3)
        await #expect(throws: DatabaseError.self) {
            _ = try await limit.run { () async throws -> Committed<Int> in
                throw DatabaseError.retriesExhausted(attempts: 10, last: ServerError(sqlState: "40001", message: "conflict"))
            }
        }
        #expect(limit.snapshot.limit == 2 && limit.snapshot.running == 0)
    }
}
