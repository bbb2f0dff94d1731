@testable import Database
import Testing

/// The pool's decisions, event by event, with a mock clock: no database, no threads, no sleeping.
/// Connections are integers, requests are names.
@Suite struct PoolStateMachineTests {
    typealias Machine = PoolStateMachine<Int, String>

    static let limits = Machine.Limits(
        minimumIdle: 1, maximum: 2, acquireTimeout: .seconds(5), maxIdleTime: .seconds(60),
        maxLifetime: .seconds(600), pingAfterIdle: .seconds(10),
        connectBackoff: .milliseconds(100), maxConnectBackoff: .seconds(1))

    @Test func opensUpToTheMaximumThenQueues() {
        var pool = PoolHarness()
        #expect(pool.request("a") == .open("a"))
        #expect(pool.request("b") == .open("b"))
        #expect(pool.request("c") == nil)
        #expect(pool.machine.total == 2 && pool.machine.queue.count == 1)
    }

    @Test func aReturnedConnectionGoesToTheFirstWaiter() {
        var pool = PoolHarness(limits: with(Self.limits) { $0.maximum = 1 })
        pool.openAndRun("a", as: 7)
        _ = pool.request("b"); _ = pool.request("c")
        #expect(pool.release(7) == .run("b", on: 7, check: nil))
        #expect(pool.closed.isEmpty)
        #expect(pool.machine.queue.map(\.request) == ["c"])
        #expect(pool.machine.leased == 1 && pool.machine.idle.isEmpty)
    }

    @Test func aBrokenConnectionIsClosedAndItsSlotPassesToAWaiter() {
        var pool = PoolHarness()
        pool.openAndRun("a", as: 1); pool.openAndRun("b", as: 2)
        _ = pool.request("c")
        #expect(pool.release(1, reusable: false) == .open("c"))
        #expect(pool.closed == [1])
        #expect(pool.machine.total == 2)
    }

    @Test func aBrokenConnectionWithNoWaiterFreesItsSlot() {
        var pool = PoolHarness()
        pool.openAndRun("a", as: 3)
        #expect(pool.release(3, reusable: false) == nil)
        #expect(pool.closed == [3] && pool.machine.total == 0)
    }

    @Test func idleConnectionsAreReusedNewestFirstAndPingedAfterLongIdle() {
        var pool = PoolHarness()
        pool.openAndRun("a", as: 1); pool.openAndRun("b", as: 2)
        pool.advance(by: .seconds(1)); _ = pool.release(1)
        pool.advance(by: .seconds(1)); _ = pool.release(2)
        pool.advance(by: .seconds(1))
        #expect(pool.request("c") == .run("c", on: 2, check: .poll))
        pool.advance(by: .seconds(27))
        #expect(pool.request("d") == .run("d", on: 1, check: .ping))
    }

    @Test func idleConnectionsPastTheirIdleTimeAreClosedByTheTimerKeepingTheMinimum() {
        var pool = PoolHarness()
        pool.openAndRun("a", as: 1); pool.openAndRun("b", as: 2)
        pool.advance(by: .seconds(1)); _ = pool.release(1)
        pool.advance(by: .seconds(1)); _ = pool.release(2)
        #expect(pool.timer?.deadline == pool.start + .seconds(61))  // 1 idles longest; 2 is the minimum kept
        pool.advance(by: .seconds(58))
        #expect(pool.closed == [])
        pool.advance(by: .seconds(1))  // nobody asked: the timer closes it
        #expect(pool.closed == [1])
        #expect(pool.machine.idle.map(\.connection) == [2])
        // The one kept as the minimum is closed only at the end of its lifetime.
        #expect(pool.timer?.deadline == pool.start + .seconds(600))
        pool.advance(to: pool.start + .seconds(600))
        #expect(pool.closed == [1, 2] && pool.machine.total == 0 && pool.timer == nil)
    }

    @Test func anIdleConnectionPastItsIdleTimeIsAlsoClosedWhenSomeoneAsks() {
        var pool = PoolHarness()
        pool.openAndRun("a", as: 1); pool.openAndRun("b", as: 2)
        pool.advance(by: .seconds(1)); _ = pool.release(1)
        pool.advance(by: .seconds(1)); _ = pool.release(2)
        let (actions, _) = pool.machine.request("c", now: pool.start + .seconds(100))
        #expect(actions.close == [1])  // the older one goes; one is kept as the minimum and reused
        #expect(Lease(actions.lease) == .run("c", on: 2, check: .ping))
    }

    @Test func connectionsPastTheirLifetimeAreNotKept() {
        var pool = PoolHarness()
        pool.openAndRun("a", as: 1)
        pool.advance(by: .seconds(601))
        #expect(pool.release(1) == nil)
        #expect(pool.closed == [1] && pool.machine.total == 0)
    }

    @Test func eachWaiterTimesOutAtItsOwnDeadlineByOneTimer() {
        var pool = PoolHarness(limits: with(Self.limits) { $0.maximum = 1 })
        pool.openAndRun("holder", as: 1)
        _ = pool.request("first")
        pool.advance(by: .seconds(2))
        _ = pool.request("second")
        #expect(pool.timersScheduled == 1)
        pool.advance(by: .seconds(3) - .nanoseconds(1))
        #expect(pool.failed.isEmpty)
        pool.advance(by: .nanoseconds(1))
        #expect(pool.failures == ["first: timedOut"])
        // The timer re-armed for the later waiter's own deadline, not the holder's return.
        #expect(pool.timer?.deadline == pool.start + .seconds(7))
        pool.advance(to: pool.start + .seconds(7))
        #expect(pool.failures == ["first: timedOut", "second: timedOut"])
        #expect(pool.release(1) == nil)  // nobody left to serve
    }

    @Test func servedWaitersDoNotEachStartATimer() {
        var pool = PoolHarness(limits: with(Self.limits) { $0.maximum = 1; $0.acquireTimeout = .seconds(30) })
        pool.openAndRun("r0", as: 1)
        for i in 1..<200 { _ = pool.request("r\(i)") }
        var served = 0
        while case .run? = pool.release(1) {
            served += 1
            pool.advance(by: .milliseconds(1))
        }
        #expect(served == 199 && pool.failed.isEmpty && pool.machine.queue.isEmpty)
        #expect(pool.timersScheduled == 1)
    }

    @Test func aTimerFiringAfterTheWaiterWasServedDoesNothing() {
        var pool = PoolHarness(limits: with(Self.limits) { $0.maximum = 1 })
        pool.openAndRun("a", as: 1)
        _ = pool.request("b")
        let armed = pool.timer
        #expect(pool.release(1) == .run("b", on: 1, check: nil))
        #expect(pool.timer == armed)  // not moved for every served waiter
        pool.advance(by: .seconds(5))
        #expect(pool.failed.isEmpty && pool.closed.isEmpty)
        #expect(pool.timer == nil)  // nothing left to wake up for
        // A stale timer (one replaced long ago) is harmless too.
        #expect(Lease(pool.apply(pool.machine.timerFired(999, now: pool.now))) == nil)
        #expect(pool.release(1) == nil && pool.machine.idle.count == 1)
    }

    @Test func aWaiterCancelledWhileQueuedFailsAndIsNeverServed() throws {
        var pool = PoolHarness(limits: with(Self.limits) { $0.maximum = 1 })
        pool.openAndRun("a", as: 1)
        let queued = pool.enqueue("b")
        let id = try #require(queued)
        _ = pool.request("c")
        #expect(pool.cancel(id) == nil)
        #expect(pool.failures == ["b: cancelled"])
        #expect(pool.release(1) == .run("c", on: 1, check: nil))
    }

    @Test func aCancellationThatLosesTheRaceWithTheHandOverChangesNothing() throws {
        var pool = PoolHarness(limits: with(Self.limits) { $0.maximum = 1 })
        pool.openAndRun("a", as: 1)
        let queued = pool.enqueue("b")
        let id = try #require(queued)
        #expect(pool.release(1) == .run("b", on: 1, check: nil))
        #expect(pool.cancel(id) == nil)
        #expect(pool.failed.isEmpty)  // b was taken: it runs to its end
        #expect(pool.release(1) == nil && pool.machine.idle.count == 1)
    }

    @Test func aCancellationWhileTheConnectIsUnderWayLetsTheRequestRun() {
        var pool = PoolHarness()
        #expect(pool.enqueue("a") == nil)  // handed a connect at once, not queued: nothing to cancel
        #expect(pool.leases == [.open("a")])
        #expect(pool.opened() == nil)
        #expect(pool.release(1) == nil)
        #expect(pool.failed.isEmpty)
    }

    @Test func anIdleConnectionFailingItsHealthCheckIsReplacedForTheSameRequest() {
        var pool = PoolHarness()
        pool.openAndRun("a", as: 1); pool.openAndRun("b", as: 2)
        _ = pool.release(1); _ = pool.release(2)
        #expect(pool.request("c") == .run("c", on: 2, check: .poll))
        #expect(pool.healthCheckFailed(2, "c") == .run("c", on: 1, check: .poll))  // the next idle one
        #expect(pool.healthCheckFailed(1, "c") == .open("c"))  // then a new one, in the freed slot
        #expect(pool.closed == [2, 1] && pool.machine.total == 1)
    }

    @Test func aFailedConnectFailsItsRequestAndTheWaitersWhenNothingCanServeThem() {
        var pool = PoolHarness(limits: with(Self.limits) { $0.maximum = 1 })
        #expect(pool.request("a") == .open("a"))
        _ = pool.request("b"); _ = pool.request("c")
        #expect(pool.connectFailed("a", jitter: 0) == nil)
        #expect(pool.failures == ["a: unavailable", "b: unavailable", "c: unavailable"])
        #expect(pool.machine.total == 0 && pool.machine.queue.isEmpty)
    }

    @Test func whileTheDatabaseIsDownRequestsAreRefusedAtOnceAndOneConnectIsTriedPerBackoff() {
        var pool = PoolHarness()
        #expect(pool.request("a") == .open("a"))
        #expect(pool.connectFailed("a", jitter: 0) == nil)  // backoff: 50 ms (half of 100 ms, no jitter)
        #expect(pool.request("b") == nil)
        #expect(pool.failures == ["a: unavailable", "b: unavailable"])  // at once, no connect tried
        pool.advance(by: .milliseconds(50))
        #expect(pool.request("c") == .open("c"))  // the backoff is over: one connect
        #expect(pool.request("d") == nil)  // only one at a time while connects fail: d waits for it
        #expect(pool.machine.queue.map(\.request) == ["d"])
        #expect(pool.connectFailed("c", jitter: 0) == nil)  // 100 ms now; d has nothing left to wait for
        #expect(pool.failures.suffix(2) == ["c: unavailable", "d: unavailable"])
        #expect(pool.machine.backoffUntil == pool.now + .milliseconds(100))
        pool.advance(by: .milliseconds(100))
        #expect(pool.request("e") == .open("e"))
        _ = pool.request("f"); _ = pool.request("g")
        // The database is back: the backoff ends, the waiters get connections one connect at a time.
        #expect(pool.opened() == .open("f"))
        #expect(pool.machine.connectFailures == 0 && pool.machine.backoffUntil == nil)
        #expect(pool.opened() == nil)  // the maximum (2) is reached: g waits for a connection
        #expect(pool.release(1) == .run("g", on: 1, check: nil))
    }

    @Test func aFailedConnectWithConnectionsInUseLetsTheWaitersWaitAndRetriesWhenTheBackoffEnds() {
        var pool = PoolHarness(limits: with(Self.limits) { $0.maximum = 3 })
        pool.openAndRun("a", as: 1)
        #expect(pool.request("b") == .open("b"))
        _ = pool.request("c")  // a third slot is free: c's own connect
        #expect(pool.connectFailed("b", jitter: 0.5) == nil)  // 75 ms
        #expect(pool.failures == ["b: unavailable"])
        #expect(pool.connectFailed("c", jitter: 0.5) == nil)  // 150 ms
        _ = pool.request("d"); _ = pool.request("e")
        #expect(pool.machine.queue.map(\.request) == ["d", "e"])  // 1 may come back to serve them
        #expect(pool.timer?.deadline == pool.now + .milliseconds(150))
        pool.advance(by: .milliseconds(150))  // the timer: one connect for the first waiter
        #expect(pool.leases == [.open("d")])
        #expect(pool.release(1) == .run("e", on: 1, check: nil))
    }

    @Test func theBackoffDoublesIsCappedAndKeepsHalfFixed() {
        let longest = (1...6).map { Machine.backoff(afterFailures: $0, limits: Self.limits, jitter: 1) }
        #expect(longest == [100, 200, 400, 800, 1000, 1000].map { .milliseconds($0) })
        #expect(Machine.backoff(afterFailures: 3, limits: Self.limits, jitter: 0) == .milliseconds(200))
        #expect(Machine.backoff(afterFailures: 10_000, limits: Self.limits, jitter: 0.5) == .milliseconds(750))
    }

    @Test func afterARestartDeadIdleConnectionsAreReplacedOrTheCallerHearsAtOnce() {
        var pool = PoolHarness()
        pool.openAndRun("a", as: 1); _ = pool.release(1)
        // The server restarted: the idle connection fails its check, the connect fails.
        #expect(pool.request("b") == .run("b", on: 1, check: .poll))
        #expect(pool.healthCheckFailed(1, "b") == .open("b"))
        #expect(pool.connectFailed("b", jitter: 0) == nil)
        #expect(pool.failures == ["b: unavailable"])
        // Back up: the first request after the backoff connects, and all is as before.
        pool.advance(by: .milliseconds(50))
        #expect(pool.request("c") == .open("c"))
        #expect(pool.opened() == nil)
        #expect(pool.release(2) == nil && pool.machine.idle.map(\.connection) == [2])
    }

    @Test func shutdownClosesIdleFailsWaitersAndRefusesWork() {
        var pool = PoolHarness()
        pool.openAndRun("a", as: 1); pool.openAndRun("b", as: 2)
        _ = pool.release(1)
        #expect(pool.request("c") == .run("c", on: 1, check: .poll))
        _ = pool.request("d")
        let armed = pool.timer
        _ = pool.apply(pool.machine.shutdown())
        #expect(pool.closed == [] && pool.failures == ["d: poolClosed"])
        #expect(armed != nil && pool.timer == nil)
        #expect(pool.request("e") == nil && pool.failures.last == "e: poolClosed")
        #expect(pool.release(2) == nil && pool.closed == [2])  // in use at shutdown: closed on return
    }

    @Test func shutdownClosesTheIdleConnections() {
        var pool = PoolHarness()
        pool.openAndRun("a", as: 1); _ = pool.release(1)
        _ = pool.apply(pool.machine.shutdown())
        #expect(pool.closed == [1] && pool.machine.total == 0)
    }

    /// Random event orders (a seeded generator: the same orders every run): every request is
    /// answered exactly once, by running its work or by an error, and never more connections than
    /// the maximum are open.
    @Test(arguments: 1...20) func everyRequestIsAnsweredExactlyOnceWhateverTheOrder(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        func chance(_ oneIn: UInt64) -> Bool { random.next() % oneIn == 0 }
        var pool = PoolHarness(limits: with(Self.limits) { $0.maximum = 3; $0.minimumIdle = 0 })
        /// Leased out (with the connection, and whether a health check comes first) or connecting.
        var running: [(request: String, connection: Int?, checked: Bool)] = []
        var made: [String] = [], queued: [Machine.RequestID] = [], ran: [String: Int] = [:]
        var lastConnection = 0
        func take(_ lease: Lease?) {
            switch lease {
            case nil: break
            case .open(let request)?: running.append((request, nil, false))
            case .run(let request, let connection, let check)?: running.append((request, connection, check != nil))
            }
        }
        func takeTimerLeases() {
            pool.leases.forEach(take)
            pool.leases.removeAll()
        }
        /// The connection thread of `running[index]` gets on with it.
        func step(_ index: Int, connectsFail: Bool) {
            let (request, connection, checked) = running.remove(at: index)
            if let connection, checked, chance(4) {
                take(pool.healthCheckFailed(connection, request))
            } else if let connection {
                ran[request, default: 0] += 1
                take(pool.release(connection, reusable: !chance(4)))
            } else if connectsFail {
                take(pool.connectFailed(request, jitter: 0.5))
            } else {
                lastConnection += 1
                running.append((request, lastConnection, false))
                take(pool.opened())
            }
        }
        for number in 0..<400 {
            switch random.next() % 6 {
            case 0, 1:
                made.append("r\(number)")
                if let id = pool.enqueue("r\(number)") { queued.append(id) }
                takeTimerLeases()
            case 2 where !running.isEmpty:
                step(Int(random.next() % UInt64(running.count)), connectsFail: chance(3))
            case 3 where !queued.isEmpty:
                take(pool.cancel(queued.remove(at: Int(random.next() % UInt64(queued.count)))))
            default:
                pool.advance(by: .milliseconds(Int64(random.next() % 2000)))
                takeTimerLeases()
            }
            #expect(pool.machine.total <= 3)
            #expect(pool.machine.leased + pool.machine.connecting == running.count)
        }
        // Drain: the work running ends, connects succeed, waiters are served or time out.
        while !running.isEmpty || !pool.machine.queue.isEmpty {
            if running.isEmpty {
                pool.advance(by: .seconds(10))
                takeTimerLeases()
            } else {
                step(running.count - 1, connectsFail: false)
            }
        }
        var answers = ran
        for (request, _) in pool.failed { answers[request, default: 0] += 1 }
        #expect(made.allSatisfy { answers[$0] == 1 }, "\(made.filter { answers[$0] != 1 })")
        #expect(answers.count == made.count)
    }
}

/// A lease with plain values, for comparing.
enum Lease: Equatable {
    case run(String, on: Int, check: PoolStateMachine<Int, String>.HealthCheck?)
    case open(String)

    init?(_ lease: PoolStateMachine<Int, String>.Lease?) {
        switch lease {
        case nil: return nil
        case .run(let request, let connection, let check)?: self = .run(request, on: connection, check: check)
        case .open(let request)?: self = .open(request)
        }
    }
}

/// Drives a state machine the way `ConnectionPool` does, with a mock clock: it keeps the one
/// timer the machine asks for and fires it when the test moves time past it, and records what
/// the machine closed and failed.
struct PoolHarness {
    typealias Machine = PoolStateMachine<Int, String>

    var machine: Machine
    let start = ContinuousClock.now  // an origin only: time moves when the test says
    private(set) var now: ContinuousClock.Instant
    private(set) var timer: Machine.Timer?
    private(set) var timersScheduled = 0
    private(set) var closed: [Int] = []
    private(set) var failed: [(String, Machine.Failure)] = []
    /// Leases from timer firings, for the test to take.
    var leases: [Lease] = []

    init(limits: Machine.Limits = PoolStateMachineTests.limits) {
        machine = Machine(limits: limits)
        now = start
    }

    /// "name: reason" for each failure so far.
    var failures: [String] {
        failed.map { request, failure in
            switch failure {
            case .timedOut: "\(request): timedOut"
            case .cancelled: "\(request): cancelled"
            case .poolClosed: "\(request): poolClosed"
            case .unavailable: "\(request): unavailable"
            }
        }
    }

    mutating func apply(_ actions: Machine.Actions) -> Machine.Lease? {
        closed += actions.close
        failed += actions.fail
        if let id = actions.cancelTimer {
            #expect(timer?.id == id, "cancels the timer it has running")
            timer = nil
        }
        if let scheduled = actions.scheduleTimer {
            #expect(timer == nil, "one timer at a time")
            timer = scheduled
            timersScheduled += 1
        }
        return actions.lease
    }

    mutating func request(_ request: String) -> Lease? { Lease(apply(machine.request(request, now: now).0)) }

    mutating func release(_ connection: Int, reusable: Bool = true) -> Lease? {
        Lease(apply(machine.released(connection, openedAt: start, reusable: reusable, now: now)))
    }

    mutating func opened() -> Lease? { Lease(apply(machine.opened(now: now))) }

    mutating func connectFailed(_ request: String, jitter: Double) -> Lease? {
        Lease(apply(machine.connectFailed(request, error: DatabaseError.connection("refused"), now: now, jitter: jitter)))
    }

    mutating func healthCheckFailed(_ connection: Int, _ request: String) -> Lease? {
        Lease(apply(machine.healthCheckFailed(connection, request, now: now)))
    }

    /// A request that waits: its id (nil if it was served at once: its lease is in `leases`).
    mutating func enqueue(_ name: String) -> Machine.RequestID? {
        let (actions, id) = machine.request(name, now: now)
        if let lease = Lease(apply(actions)) { leases.append(lease) }
        return id
    }

    mutating func cancel(_ id: Machine.RequestID) -> Lease? { Lease(apply(machine.cancelled(id))) }

    /// A request that gets a new connection, which opens (the test calls it `connection`).
    mutating func openAndRun(_ name: String, as connection: Int) {
        #expect(request(name) == .open(name))
        #expect(opened() == nil)
    }

    mutating func advance(by duration: Duration) { advance(to: now + duration) }

    /// Moves the clock, firing the timer each time it is due on the way.
    mutating func advance(to instant: ContinuousClock.Instant) {
        while let due = timer, due.deadline <= instant {
            now = max(now, due.deadline)
            timer = nil
            if let lease = Lease(apply(machine.timerFired(due.id, now: now))) { leases.append(lease) }
        }
        now = instant
    }
}

/// A small seeded random number generator, so the random event orders are the same every run.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func with<T>(_ value: T, _ change: (inout T) -> Void) -> T {
    var copy = value
    change(&copy)
    return copy
}
