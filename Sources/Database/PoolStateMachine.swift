import NIOCore

/// Every decision of the connection pool, as a pure state machine (after postgres-nio's
/// `PoolStateMachine`): the pool feeds it events with the time they happened and carries out the
/// actions it returns. No I/O, no clock, no locks, no sleeping: every rule here is tested with a
/// mock clock, without a database.
///
/// The rules: an idle connection (newest first) or a new one for each request, up to `maximum`;
/// beyond that requests wait first come, first served, each until its deadline; a connection
/// coming back goes straight to the first waiter. After a failed connect no connection is
/// opened until a backoff has passed (exponential with jitter, capped), so a dead database is
/// dialled about once per backoff instead of once per request; while nothing is open to serve
/// them, requests are refused at once with the connect error. One timer wakes the machine for
/// the earliest deadline, the end of a backoff that waiters need, and idle connections past
/// their idle time or lifetime.
struct PoolStateMachine<Connection, Request> {
    typealias Instant = ContinuousClock.Instant
    typealias RequestID = UInt64

    struct Limits: Equatable {
        var minimumIdle: Int
        var maximum: Int
        var acquireTimeout: Duration
        var maxIdleTime: Duration
        var maxLifetime: Duration
        /// An idle connection unused this long gets a round trip before reuse, not just a poll.
        var pingAfterIdle: Duration
        /// The wait after a first failed connect; it doubles with each failure in a row.
        var connectBackoff: Duration
        var maxConnectBackoff: Duration
    }

    enum HealthCheck: Equatable { case poll, ping }

    /// Work for a connection thread.
    enum Lease {
        /// Run the request with this connection, after the health check if one is named (the
        /// connection sat idle; none when it comes straight from another request). Report
        /// `released`, or `healthCheckFailed`.
        case run(Request, on: Connection, check: HealthCheck?)
        /// Open a connection in the slot reserved for the request, then run the request with it.
        /// Report `opened` or `connectFailed`.
        case open(Request)
    }

    /// Why a request is answered with an error instead of a connection.
    enum Failure {
        case timedOut
        case cancelled
        case poolClosed
        /// The database could not be reached: the connect error.
        case unavailable(any Error)
    }

    struct Timer: Equatable {
        var id: UInt64
        var deadline: Instant
    }

    /// What the pool does after an event. Most events lead to at most one piece of work for a
    /// connection thread, so the common case allocates nothing.
    struct Actions {
        var lease: Lease?
        var fail: [(Request, Failure)] = []
        var close: [Connection] = []
        var cancelTimer: UInt64?
        var scheduleTimer: Timer?
    }

    struct IdleConnection {
        var connection: Connection
        var openedAt: Instant
        var idleSince: Instant
    }

    struct Waiter {
        var id: RequestID
        var deadline: Instant
        var request: Request
    }

    let limits: Limits
    /// A stack: the most recently used on top.
    private(set) var idle: [IdleConnection] = []
    /// Connections running a request.
    private(set) var leased = 0
    /// Slots whose connection is being opened.
    private(set) var connecting = 0
    private(set) var queue = CircularBuffer<Waiter>()
    private(set) var isClosed = false
    /// Set while connects fail: the last connect error, how many failed in a row, and when the
    /// next connect may start.
    private(set) var connectFailures = 0
    private var lastConnectError: (any Error)?
    private(set) var backoffUntil: Instant?
    /// The timer the pool has running for this machine, if any.
    private(set) var timer: Timer?
    private var lastRequestID: RequestID = 0
    private var lastTimerID: UInt64 = 0

    init(limits: Limits) { self.limits = limits }

    /// Connections open or being opened: each holds one of the `maximum` slots.
    var total: Int { idle.count + leased + connecting }

    /// The waiting requests' ids, in the order they are served.
    var waiters: [RequestID] { queue.map(\.id) }

    // MARK: - Events

    /// A caller wants a connection for `request`. Returns the request's id if it waits (to
    /// cancel it).
    mutating func request(_ request: Request, now: Instant) -> (Actions, queuedAs: RequestID?) {
        var actions = Actions()
        guard !isClosed else {
            actions.fail = [(request, .poolClosed)]
            return (actions, nil)
        }
        actions.close = pruneIdle(now: now)
        var queuedAs: RequestID?
        if queue.isEmpty, let lease = lease(to: request, now: now) {
            actions.lease = lease
        } else if let error = unavailable(now: now) {
            actions.fail = [(request, .unavailable(error))]
        } else {
            lastRequestID += 1
            queue.append(Waiter(id: lastRequestID, deadline: now + limits.acquireTimeout, request: request))
            queuedAs = lastRequestID
            actions.lease = serveFirstWaiter(now: now)
        }
        armTimer(&actions, now: now)
        return (actions, queuedAs)
    }

    /// A request is done with its connection. `reusable` is false when the connection broke; one
    /// past its lifetime is not kept either. The connection goes straight to the first waiter.
    mutating func released(_ connection: Connection, openedAt: Instant, reusable: Bool, now: Instant) -> Actions {
        var actions = Actions()
        leased -= 1
        if reusable, !isClosed, openedAt.duration(to: now) < limits.maxLifetime {
            if let waiter = queue.popFirst() {
                leased += 1
                actions.lease = .run(waiter.request, on: connection, check: nil)
            } else {
                idle.append(IdleConnection(connection: connection, openedAt: openedAt, idleSince: now))
            }
        } else {
            actions.close = [connection]
            actions.lease = serveFirstWaiter(now: now)  // the slot came free
            failWaitersIfUnavailable(&actions, now: now)
        }
        armTimer(&actions, now: now)
        return actions
    }

    /// An idle connection failed its health check before `request` ran: it is closed, and the
    /// request (served already, so not queued again) gets another idle connection or a new one.
    mutating func healthCheckFailed(_ connection: Connection, _ request: Request, now: Instant) -> Actions {
        var actions = Actions()
        leased -= 1
        actions.close = [connection]
        if isClosed {
            actions.fail = [(request, .poolClosed)]
        } else if let lease = lease(to: request, now: now) {
            actions.lease = lease
        } else {
            // Only while connects fail (the slot just came free): answer now.
            actions.fail = [(request, .unavailable(lastConnectError ?? DatabaseError.connection("no connection available")))]
            failWaitersIfUnavailable(&actions, now: now)
        }
        armTimer(&actions, now: now)
        return actions
    }

    /// A connection was opened (its request runs on it next). The database answers again: the
    /// backoff is over, and slots free for waiters are filled one connect at a time.
    mutating func opened(now: Instant) -> Actions {
        connecting -= 1
        leased += 1
        connectFailures = 0
        lastConnectError = nil
        backoffUntil = nil
        var actions = Actions()
        if !isClosed { actions.lease = serveFirstWaiter(now: now) }
        armTimer(&actions, now: now)
        return actions
    }

    /// Opening a connection for `request` failed with `error`. The request fails with it, no
    /// connect starts again before the backoff has passed, and if nothing is open to serve the
    /// waiters they fail at once too. `jitter`, in [0, 1), spreads the backoff.
    mutating func connectFailed(_ request: Request, error: any Error, now: Instant, jitter: Double) -> Actions {
        connecting -= 1
        var actions = Actions()
        actions.fail = [(request, .unavailable(error))]
        guard !isClosed else { return actions }
        connectFailures += 1
        lastConnectError = error
        let until = now + Self.backoff(afterFailures: connectFailures, limits: limits, jitter: jitter)
        backoffUntil = max(backoffUntil ?? until, until)
        failWaitersIfUnavailable(&actions, now: now)
        armTimer(&actions, now: now)
        return actions
    }

    /// The pool's timer went off (a stale one included: it does no harm). Waiters past their
    /// deadline time out, idle connections past their time are closed, a backoff that is over
    /// lets the first waiter connect.
    mutating func timerFired(_ id: UInt64, now: Instant) -> Actions {
        if timer?.id == id { timer = nil }
        var actions = Actions()
        guard !isClosed else { return actions }
        while let first = queue.first, first.deadline <= now {
            actions.fail.append((queue.removeFirst().request, .timedOut))
        }
        actions.close = pruneIdle(now: now)
        actions.lease = serveFirstWaiter(now: now)
        armTimer(&actions, now: now)
        return actions
    }

    /// The caller of a waiting request gave up. Nothing happens if it was served already: a
    /// request handed to a connection runs to its end.
    mutating func cancelled(_ id: RequestID) -> Actions {
        var actions = Actions()
        guard let index = queue.firstIndex(where: { $0.id == id }) else { return actions }
        actions.fail = [(queue.remove(at: index).request, .cancelled)]
        // A timer armed for this waiter stays: it fires, finds nothing to do and re-arms.
        return actions
    }

    /// Shut down: idle connections closed, waiters failed, the timer stopped; connections in use
    /// are closed as they come back.
    mutating func shutdown() -> Actions {
        var actions = Actions()
        isClosed = true
        actions.close = idle.map(\.connection)
        idle.removeAll()
        actions.fail = queue.map { ($0.request, .poolClosed) }
        queue.removeAll()
        actions.cancelTimer = timer?.id
        timer = nil
        return actions
    }

    // MARK: - Rules

    /// The wait before the next connect after `failures` failed in a row: doubling from
    /// `connectBackoff`, capped, at least half of it fixed and the rest random ("equal jitter":
    /// never zero, and pools that failed together do not retry together).
    static func backoff(afterFailures failures: Int, limits: Limits, jitter: Double) -> Duration {
        let ceiling = min(limits.connectBackoff * (1 << min(max(failures - 1, 0), 30)), limits.maxConnectBackoff)
        return ceiling / 2 + ceiling / 2 * min(max(jitter, 0), 1)
    }

    /// An idle connection or a new one for `request`, if the pool has either.
    private mutating func lease(to request: Request, now: Instant) -> Lease? {
        if let connection = idle.popLast() {
            leased += 1
            let check: HealthCheck = connection.idleSince.duration(to: now) >= limits.pingAfterIdle ? .ping : .poll
            return .run(request, on: connection.connection, check: check)
        }
        guard mayConnect(now: now) else { return nil }
        connecting += 1
        return .open(request)
    }

    /// The first waiter's lease, when a connection or a slot is free for it.
    private mutating func serveFirstWaiter(now: Instant) -> Lease? {
        guard let first = queue.first, let lease = lease(to: first.request, now: now) else { return nil }
        queue.removeFirst()
        return lease
    }

    /// A slot is free and no backoff holds connects back (after failures, one connect at a time).
    private func mayConnect(now: Instant) -> Bool {
        guard total < limits.maximum else { return false }
        guard connectFailures > 0 else { return true }
        return connecting == 0 && now >= (backoffUntil ?? now)
    }

    /// The connect error, when nothing is open or being opened that could serve a waiter and the
    /// backoff holds connects back: then requests are answered at once instead of waiting.
    private func unavailable(now: Instant) -> (any Error)? {
        guard let lastConnectError, leased == 0, connecting == 0, idle.isEmpty, !mayConnect(now: now) else { return nil }
        return lastConnectError
    }

    private mutating func failWaitersIfUnavailable(_ actions: inout Actions, now: Instant) {
        guard let error = unavailable(now: now), !queue.isEmpty else { return }
        actions.fail += queue.map { ($0.request, .unavailable(error)) }
        queue.removeAll()
    }

    /// Drops idle connections past their lifetime, and past their idle time beyond the
    /// `minimumIdle` most recently used.
    private mutating func pruneIdle(now: Instant) -> [Connection] {
        guard idle.contains(where: { expires($0, keptAsMinimum: false) <= now }) else { return [] }
        var closed: [Connection] = []
        var kept: [IdleConnection] = []
        for connection in idle.reversed() {
            if expires(connection, keptAsMinimum: kept.count < limits.minimumIdle) <= now {
                closed.append(connection.connection)
            } else {
                kept.append(connection)
            }
        }
        idle = kept.reversed()
        return closed
    }

    /// When an idle connection is due to be closed.
    private func expires(_ connection: IdleConnection, keptAsMinimum: Bool) -> Instant {
        let endOfLife = connection.openedAt + limits.maxLifetime
        return keptAsMinimum ? endOfLife : min(endOfLife, connection.idleSince + limits.maxIdleTime)
    }

    /// When the machine must next be woken: the first waiter's deadline, the end of a backoff
    /// that waiters wait for, an idle connection's expiry.
    private func nextWakeUp(now: Instant) -> Instant? {
        var earliest = queue.first?.deadline
        func consider(_ instant: Instant?) {
            guard let instant else { return }
            earliest = min(earliest ?? instant, instant)
        }
        if !queue.isEmpty, let backoffUntil, backoffUntil > now { consider(backoffUntil) }
        for (depth, connection) in idle.reversed().enumerated() {
            consider(expires(connection, keptAsMinimum: depth < limits.minimumIdle))
        }
        return earliest
    }

    /// Keeps one timer running, early enough. A timer that is early already stays, even when
    /// what it was set for went away (a waiter served): moving it on every change would cost a
    /// timer per request under load; it fires, finds nothing to do and re-arms.
    private mutating func armTimer(_ actions: inout Actions, now: Instant) {
        guard !isClosed, let wakeUp = nextWakeUp(now: now) else { return }
        if let timer, timer.deadline <= wakeUp { return }
        actions.cancelTimer = timer?.id
        lastTimerID += 1
        timer = Timer(id: lastTimerID, deadline: wakeUp)
        actions.scheduleTimer = timer
    }
}

extension PoolStateMachine: Sendable where Connection: Sendable, Request: Sendable {}
extension PoolStateMachine.IdleConnection: Sendable where Connection: Sendable {}
extension PoolStateMachine.Waiter: Sendable where Request: Sendable {}
