@testable import BankApp
import Logging
import NIOConcurrencyHelpers
import Testing

/// Same-key operations one at a time and in order; other keys meanwhile; the key freed on errors.
@Suite struct KeyedSerializerTests {
    struct Boom: Error {}

    @Test func sameKeyRunsOneAtATimeInArrivalOrder() async throws {
        let serializer = KeyedSerializer<Int>()
        let state = NIOLockedValueBox((running: 0, most: 0, order: [Int]()))
        // Each operation is queued before the next starts: started in order, one task at a time.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                let queued = AsyncStream<Void>.makeStream()
                group.addTask {
                    try await serializer.run(7) {
                        queued.continuation.finish()
                        state.withLockedValue { $0.running += 1; $0.most = max($0.most, $0.running); $0.order.append(i) }
                        try await Task.sleep(for: .milliseconds(2))
                        state.withLockedValue { $0.running -= 1 }
                    }
                }
                // The first runs at once; the others wait until they are queued (or running).
                if i == 0 { for await _ in queued.stream {} } else { try await Task.sleep(for: .milliseconds(1)) }
            }
            try await group.waitForAll()
        }
        let result = state.withLockedValue { $0 }
        #expect(result.most == 1)
        #expect(result.order.count == 20)
        #expect(serializer.activeKeys == 0)
    }

    @Test func otherKeysRunMeanwhile() async throws {
        let serializer = KeyedSerializer<Int>()
        let state = NIOLockedValueBox((running: 0, most: 0))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for key in 0..<4 {
                group.addTask {
                    try await serializer.run(key) {
                        state.withLockedValue { $0.running += 1; $0.most = max($0.most, $0.running) }
                        try await Task.sleep(for: .milliseconds(200))
                        state.withLockedValue { $0.running -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(state.withLockedValue { $0.most } > 1)
        #expect(serializer.activeKeys == 0)
    }

    @Test func aFailingOperationPassesTheTurnOn() async throws {
        let serializer = KeyedSerializer<Int>()
        await #expect(throws: Boom.self) { try await serializer.run(1) { throw Boom() } }
        #expect(serializer.activeKeys == 0)
        #expect(try await serializer.run(1) { 42 } == 42)
        // Waiters behind a failing operation still run.
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                do { return try await serializer.run(1) { try await Task.sleep(for: .milliseconds(50)); throw Boom() } }
                catch { return -1 }
            }
            for i in 1...3 { group.addTask { try await serializer.run(1) { i } } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(results.sorted() == [-1, 1, 2, 3])
        #expect(serializer.activeKeys == 0)
    }

    @Test func pastTheBoundAWriteIsRefusedAtOnceAndTheQueuedOnesStillRunInOrder() async throws {
        let serializer = KeyedSerializer<Int>(maximumWaiting: 2)
        let (release, releaser) = AsyncStream<Void>.makeStream()
        let order = NIOLockedValueBox([Int]())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await serializer.run(5) { for await _ in release {}; order.withLockedValue { $0.append(0) } } }
            while serializer.activeKeys == 0 { await Task.yield() }
            for i in 1...2 {
                group.addTask { try await serializer.run(5) { order.withLockedValue { $0.append(i) } } }
                while serializer.waiting(5) < i { await Task.yield() }
            }
            await #expect(throws: SameRowQueueFull(waiting: 2)) { try await serializer.run(5) { order.withLockedValue { $0.append(3) } } }
            // Another row is not held up by this one's queue.
            #expect(try await serializer.run(6) { 6 } == 6)
            releaser.finish()
            try await group.waitForAll()
        }
        #expect(order.withLockedValue { $0 } == [0, 1, 2])
        #expect(serializer.activeKeys == 0)
    }

    @Test func aRefusedWriteIs503WithRetryAfter() {
        let error = APIError.from(SameRowQueueFull(waiting: 100), logger: Logger(label: "test"))
        #expect(error.status == .serviceUnavailable)
        #expect(error.headers[.retryAfter] == "1")
        #expect(error.message == "too many writes to this row are waiting; try again")
    }
}
