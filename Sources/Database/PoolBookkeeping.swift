/// The connection pool's decisions, as plain data: which connection to hand out, when to open a
/// new one, who waits, what to close. No I/O, no clock, no locks: the pool feeds it events with
/// the current time and carries out the actions it returns, so every rule here is unit-tested
/// without a database and without sleeping (after postgres-nio's PoolStateMachine).
struct PoolBookkeeping<Resource> {
    struct Limits: Equatable {
        var minimumIdle: Int
        var maximum: Int
        var maxIdleTime: Duration
        var maxLifetime: Duration
        /// An idle connection older than this gets a real round trip before reuse, not just a poll.
        var pingAfterIdle: Duration
    }

    struct IdleConnection {
        var resource: Resource
        var openedAt: ContinuousClock.Instant
        var idleSince: ContinuousClock.Instant
    }

    typealias WaiterID = UInt64

    /// A caller waiting for a connection, and when it gives up (nil: never).
    struct Waiter: Equatable {
        var id: WaiterID
        var deadline: ContinuousClock.Instant?
    }

    enum Acquire {
        /// Use this idle connection; `ping` asks for a round trip first (it sat idle long).
        case reuse(Resource, openedAt: ContinuousClock.Instant, ping: Bool)
        /// A slot is reserved: open a new connection (report `opened` or `openFailed`).
        case open
        /// The pool is full: wait to be handed a connection or a slot.
        case wait
        case closed
    }

    enum Handover {
        /// Give this connection to the waiter.
        case connection(Resource, openedAt: ContinuousClock.Instant, to: WaiterID)
        /// Let the waiter open a connection in the slot that just came free.
        case openSlot(to: WaiterID)
    }

    let limits: Limits
    private(set) var idle: [IdleConnection] = []
    /// Connections leased out or being opened: each holds one of the `maximum` slots.
    private(set) var busy = 0
    /// First come, first served.
    private(set) var queue: [Waiter] = []
    private(set) var isClosed = false
    private var nextWaiterID: WaiterID = 0

    init(limits: Limits) { self.limits = limits }

    var total: Int { idle.count + busy }

    /// The waiters' ids, in the order they are served.
    var waiters: [WaiterID] { queue.map(\.id) }

    /// The earliest deadline of a waiting caller: when the pool's one timeout timer should wake.
    var nextDeadline: ContinuousClock.Instant? { queue.lazy.compactMap(\.deadline).min() }

    /// A caller wants a connection. Also returns idle connections that expired and must be closed.
    mutating func acquire(now: ContinuousClock.Instant) -> (Acquire, close: [Resource]) {
        guard !isClosed else { return (.closed, []) }
        let expired = pruneIdle(now: now)
        if let connection = idle.popLast() {
            busy += 1
            let ping = connection.idleSince.duration(to: now) >= limits.pingAfterIdle
            return (.reuse(connection.resource, openedAt: connection.openedAt, ping: ping), expired)
        }
        if total < limits.maximum {
            busy += 1
            return (.open, expired)
        }
        return (.wait, expired)
    }

    /// Queues a caller that got `.wait`; it is served first come, first served, or times out at
    /// `deadline` (see `expireWaiters`).
    mutating func enqueueWaiter(deadline: ContinuousClock.Instant? = nil) -> WaiterID {
        nextWaiterID += 1
        queue.append(Waiter(id: nextWaiterID, deadline: deadline))
        return nextWaiterID
    }

    /// A waiter gave up (cancellation). False if it was already served.
    mutating func removeWaiter(_ id: WaiterID) -> Bool {
        guard let index = queue.firstIndex(where: { $0.id == id }) else { return false }
        queue.remove(at: index)
        return true
    }

    /// Removes and returns the waiters whose deadline has passed (they fail with a timeout).
    mutating func expireWaiters(now: ContinuousClock.Instant) -> [WaiterID] {
        var expired: [WaiterID] = []
        queue.removeAll { waiter in
            guard let deadline = waiter.deadline, deadline <= now else { return false }
            expired.append(waiter.id)
            return true
        }
        return expired
    }

    /// A connection comes back. `reusable` is false when it broke; one past its lifetime is
    /// closed too. Returns what to close and whom to serve.
    mutating func release(_ resource: Resource, openedAt: ContinuousClock.Instant, reusable: Bool,
                          now: ContinuousClock.Instant) -> (close: Resource?, handover: Handover?) {
        let keep = reusable && !isClosed && openedAt.duration(to: now) < limits.maxLifetime
        if !queue.isEmpty {
            let waiter = queue.removeFirst().id
            if keep { return (nil, .connection(resource, openedAt: openedAt, to: waiter)) }
            return (resource, .openSlot(to: waiter))  // the slot passes on; busy is unchanged
        }
        busy -= 1
        if keep {
            idle.append(IdleConnection(resource: resource, openedAt: openedAt, idleSince: now))
            return (nil, nil)
        }
        return (resource, nil)
    }

    /// Opening failed: the slot goes to the next waiter (who will try too), or is freed.
    mutating func openFailed() -> Handover? {
        if !isClosed, !queue.isEmpty { return .openSlot(to: queue.removeFirst().id) }
        busy -= 1
        return nil
    }

    /// Shut down: the idle connections to close and the waiters to fail.
    mutating func close() -> (close: [Resource], failWaiters: [WaiterID]) {
        isClosed = true
        let resources = idle.map(\.resource)
        idle.removeAll()
        let failed = waiters
        queue.removeAll()
        return (resources, failed)
    }

    /// Drops idle connections past their idle time or lifetime, keeping `minimumIdle` of the
    /// freshest (the stack's top is the most recently used).
    private mutating func pruneIdle(now: ContinuousClock.Instant) -> [Resource] {
        var closed: [Resource] = []
        var kept: [IdleConnection] = []
        for connection in idle.reversed() {
            let tooOld = connection.openedAt.duration(to: now) >= limits.maxLifetime
            let idleTooLong = connection.idleSince.duration(to: now) >= limits.maxIdleTime
            if tooOld || (idleTooLong && kept.count >= limits.minimumIdle) {
                closed.append(connection.resource)
            } else {
                kept.append(connection)
            }
        }
        idle = kept.reversed()
        return closed
    }
}

extension PoolBookkeeping: Sendable where Resource: Sendable {}
extension PoolBookkeeping.IdleConnection: Sendable where Resource: Sendable {}
extension PoolBookkeeping.Acquire: Sendable where Resource: Sendable {}
extension PoolBookkeeping.Handover: Sendable where Resource: Sendable {}
extension PoolBookkeeping.Waiter: Sendable {}
