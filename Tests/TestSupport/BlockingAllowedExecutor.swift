import Foundation

/// A task executor on threads of its own, for test bodies that block (libpq calls, migrations,
/// child processes, `Thread.sleep`).
///
/// Swift Testing runs tests in parallel on Swift's cooperative pool, which has one thread per core
/// (two here). A test that blocks one of them stalls every other test in the process, including
/// in-process servers whose timeouts other tests measure: on a loaded machine a 2 s body timeout
/// fired after 12 s. `TestDatabase.withFreshDatabase` runs its body with this executor as the
/// task's preference (SE-0417), so the body and its structured child tasks run here instead.
///
/// The pool grows a thread whenever a job arrives and none is idle (a blocked job never holds up
/// another, so a test blocking on a server running here cannot deadlock it), and a thread idle for
/// a while ends.
public final class BlockingAllowedExecutor: TaskExecutor, @unchecked Sendable {
    public static let shared = BlockingAllowedExecutor()

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var idleThreads = 0
    private let idleLifetime: TimeInterval = 10

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        // Enough threads for every waiting job: idle ones wake, the rest are new.
        if jobs.count > idleThreads {
            Thread { [self] in work() }.start()
        } else {
            condition.signal()
        }
        condition.unlock()
    }

    private func work() {
        condition.lock()
        while true {
            if !jobs.isEmpty {
                let job = jobs.removeFirst()
                condition.unlock()
                job.runSynchronously(on: asUnownedTaskExecutor())
                condition.lock()
                continue
            }
            idleThreads += 1
            let signalled = condition.wait(until: Date().addingTimeInterval(idleLifetime))
            idleThreads -= 1
            if !signalled && jobs.isEmpty { break }
        }
        condition.unlock()
    }
}
