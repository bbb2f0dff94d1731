@testable import BankApp
import NIOCore
import NIOPosix
import Testing

/// Tasks preferring an `EventLoopExecutor` run on the group's loops, on the enqueuing thread's
/// loop when it is one of them.
@Suite struct EventLoopExecutorTests {
    @Test func aTaskRunsOnTheGroupsLoops() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { group.shutdownGracefully { _ in } }
        let ours = Set(group.makeIterator().map { ObjectIdentifier($0) })
        let seen = await withTaskExecutorPreference(EventLoopExecutor(group: group)) {
            var seen: [ObjectIdentifier?] = []
            for _ in 0..<10 {
                seen.append(MultiThreadedEventLoopGroup.currentEventLoop.map { ObjectIdentifier($0) })
                await Task.yield()
            }
            return seen
        }
        #expect(seen.count == 10)
        #expect(seen.allSatisfy { $0.map(ours.contains) == true })
    }

    @Test func aJobEnqueuedOnOneOfTheLoopsStaysOnIt() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { group.shutdownGracefully { _ in } }
        let executor = EventLoopExecutor(group: group)
        for loop in group.makeIterator() {
            // A task whose job is enqueued from `loop` (a continuation resumed there) runs there.
            let ranOn = try await withTaskExecutorPreference(executor) {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    loop.execute { continuation.resume() }
                }
                return MultiThreadedEventLoopGroup.currentEventLoop.map { ObjectIdentifier($0) }
            }
            #expect(ranOn == ObjectIdentifier(loop))
        }
    }

    @Test func aJobEnqueuedOnAnotherGroupsLoopGoesToOurs() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let other = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer {
            group.shutdownGracefully { _ in }
            other.shutdownGracefully { _ in }
        }
        let ranOn = try await withTaskExecutorPreference(EventLoopExecutor(group: group)) {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                other.next().execute { continuation.resume() }
            }
            return MultiThreadedEventLoopGroup.currentEventLoop.map { ObjectIdentifier($0) }
        }
        #expect(ranOn == ObjectIdentifier(group.next()))
    }
}
