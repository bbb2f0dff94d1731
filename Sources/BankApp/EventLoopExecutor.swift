import NIOCore
import NIOPosix
import ServiceLifecycle

/// A task executor that runs a task's jobs on the server's event loops: on the loop of the thread
/// that enqueues the job when that is one of them, otherwise on the next loop of the group.
///
/// Why: without it, a request crosses threads four times. The channel's event loop hands the
/// request to Swift's cooperative pool, the handler hands its query to a connection thread, the
/// connection thread hands the result back to the cooperative pool, and the response goes back to
/// the event loop. Each crossing is a wake-up (a futex or an eventfd) and a context switch; on
/// two cores that is a large share of a read's CPU. Run on the event loops, the request arrives,
/// is handled and is answered on its channel's loop, and crosses threads only to reach the
/// database and back (the pool resumes its caller on the loop it was called from).
///
/// Nothing a request does may block its loop: libpq runs on the pool's connection threads, never
/// here.
public final class EventLoopExecutor: TaskExecutor {
    private let group: any EventLoopGroup
    /// The group's loops, to tell one of ours from another group's (a test's client, say).
    private let loops: Set<ObjectIdentifier>

    public init(group: any EventLoopGroup) {
        self.group = group
        loops = Set(group.makeIterator().map { ObjectIdentifier($0) })
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let loop = MultiThreadedEventLoopGroup.currentEventLoop.flatMap { loops.contains(ObjectIdentifier($0)) ? $0 : nil }
            ?? group.next()
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// A service whose tasks (and their child tasks: Hummingbird's one per connection) run on an
/// `EventLoopExecutor`.
public struct OnEventLoops<Base: Service>: Service {
    let base: Base
    let executor: EventLoopExecutor

    public init(_ base: Base, group: any EventLoopGroup) {
        self.base = base
        executor = EventLoopExecutor(group: group)
    }

    public func run() async throws {
        try await withTaskExecutorPreference(executor) { try await base.run() }
    }
}
