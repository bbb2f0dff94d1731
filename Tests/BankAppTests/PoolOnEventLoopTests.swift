@testable import BankApp
import Database
import NIOCore
import NIOPosix
import Testing
import TestSupport

/// The pool resumes a caller on the event loop it called from (the server's requests run there),
/// and its libpq work never runs on that loop.
@Suite struct PoolOnEventLoopTests {
    @Test func aCallerOnAnEventLoopIsResumedOnIt() async throws {
        try await TestDatabase.withFreshDatabase { url in
            let pool = ConnectionPool(configuration: PoolConfiguration(connectionString: url, minimumIdle: 0, maximum: 2))
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
            defer { group.shutdownGracefully { _ in } }
            let loops = group.makeIterator().map { ObjectIdentifier($0) }
            let seen = try await withTaskExecutorPreference(EventLoopExecutor(group: group)) {
                var seen: [(before: ObjectIdentifier?, work: ObjectIdentifier?, after: ObjectIdentifier?)] = []
                for _ in 0..<20 {
                    let before = MultiThreadedEventLoopGroup.currentEventLoop.map { ObjectIdentifier($0) }
                    let work = try await pool.withConnection { connection in
                        _ = try connection.execute("SELECT 1")
                        return MultiThreadedEventLoopGroup.currentEventLoop.map { ObjectIdentifier($0) }
                    }
                    let after = MultiThreadedEventLoopGroup.currentEventLoop.map { ObjectIdentifier($0) }
                    seen.append((before, work, after))
                }
                return seen
            }
            await pool.shutdown()
            #expect(seen.count == 20)
            for step in seen {
                #expect(step.before.map(loops.contains) == true)
                #expect(step.work == nil, "libpq ran on an event loop")
                #expect(step.after == step.before)
            }
        }
    }
}
