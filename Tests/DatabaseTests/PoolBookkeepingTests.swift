@testable import Database
import Testing

/// The pool's decisions, driven with an injected clock and plain integers for connections.
@Suite struct PoolBookkeepingTests {
    let start = ContinuousClock.now
    let limits = PoolBookkeeping<Int>.Limits(minimumIdle: 1, maximum: 2, maxIdleTime: .seconds(60),
                                             maxLifetime: .seconds(600), pingAfterIdle: .seconds(10))

    func at(_ seconds: Int) -> ContinuousClock.Instant { start + .seconds(seconds) }

    @Test func opensUpToTheMaximumThenQueues() {
        var pool = PoolBookkeeping<Int>(limits: limits)
        guard case .open = pool.acquire(now: at(0)).0 else { Issue.record("expected open"); return }
        guard case .open = pool.acquire(now: at(0)).0 else { Issue.record("expected open"); return }
        guard case .wait = pool.acquire(now: at(0)).0 else { Issue.record("expected wait"); return }
        #expect(pool.total == 2)
    }

    @Test func aReturnedConnectionGoesToTheFirstWaiter() {
        var pool = PoolBookkeeping<Int>(limits: PoolBookkeeping<Int>.Limits(
            minimumIdle: 0, maximum: 1, maxIdleTime: .seconds(60), maxLifetime: .seconds(600), pingAfterIdle: .seconds(10)))
        _ = pool.acquire(now: at(0))
        let first = pool.enqueueWaiter(), second = pool.enqueueWaiter()
        let (close, handover) = pool.release(7, openedAt: at(0), reusable: true, now: at(1))
        #expect(close == nil)
        guard case .connection(7, _, let to)? = handover else { Issue.record("expected a handover"); return }
        #expect(to == first)
        #expect(pool.waiters == [second])
        #expect(pool.busy == 1 && pool.idle.isEmpty)
    }

    @Test func aBrokenConnectionIsClosedAndItsSlotPassesToAWaiter() {
        var pool = PoolBookkeeping<Int>(limits: limits)
        _ = pool.acquire(now: at(0)); _ = pool.acquire(now: at(0))
        let waiter = pool.enqueueWaiter()
        let (close, handover) = pool.release(3, openedAt: at(0), reusable: false, now: at(1))
        #expect(close == 3)
        guard case .openSlot(let to)? = handover else { Issue.record("expected an open slot"); return }
        #expect(to == waiter)
        #expect(pool.total == 2)
    }

    @Test func aBrokenConnectionWithNoWaiterFreesItsSlot() {
        var pool = PoolBookkeeping<Int>(limits: limits)
        _ = pool.acquire(now: at(0))
        let (close, handover) = pool.release(3, openedAt: at(0), reusable: false, now: at(1))
        #expect(close == 3 && handover == nil)
        #expect(pool.total == 0)
    }

    @Test func idleConnectionsAreReusedNewestFirstAndPingedAfterLongIdle() {
        var pool = PoolBookkeeping<Int>(limits: limits)
        _ = pool.acquire(now: at(0)); _ = pool.acquire(now: at(0))
        _ = pool.release(1, openedAt: at(0), reusable: true, now: at(1))
        _ = pool.release(2, openedAt: at(0), reusable: true, now: at(2))
        guard case .reuse(2, _, let ping) = pool.acquire(now: at(3)).0 else { Issue.record("expected 2"); return }
        #expect(!ping)
        guard case .reuse(1, _, let ping2) = pool.acquire(now: at(30)).0 else { Issue.record("expected 1"); return }
        #expect(ping2)
    }

    @Test func idleConnectionsPastTheirIdleTimeAreClosedKeepingTheMinimum() {
        var pool = PoolBookkeeping<Int>(limits: limits)
        _ = pool.acquire(now: at(0)); _ = pool.acquire(now: at(0))
        _ = pool.release(1, openedAt: at(0), reusable: true, now: at(1))
        _ = pool.release(2, openedAt: at(0), reusable: true, now: at(2))
        let (decision, closed) = pool.acquire(now: at(100))
        #expect(closed == [1])  // the older one goes; one is kept as the minimum and reused
        guard case .reuse(2, _, _) = decision else { Issue.record("expected reuse of 2"); return }
    }

    @Test func connectionsPastTheirLifetimeAreNotKept() {
        var pool = PoolBookkeeping<Int>(limits: limits)
        _ = pool.acquire(now: at(0))
        let (close, _) = pool.release(1, openedAt: at(0), reusable: true, now: at(601))
        #expect(close == 1)
        #expect(pool.total == 0)
    }

    @Test func aFailedOpenPassesTheSlotOnOrFreesIt() {
        var pool = PoolBookkeeping<Int>(limits: limits)
        _ = pool.acquire(now: at(0)); _ = pool.acquire(now: at(0))
        let waiter = pool.enqueueWaiter()
        guard case .openSlot(let to)? = pool.openFailed() else { Issue.record("expected slot handover"); return }
        #expect(to == waiter && pool.total == 2)
        let second = pool.openFailed()
        #expect(second == nil)
        #expect(pool.total == 1)
    }

    @Test func aWaiterThatGaveUpIsNotServed() {
        var pool = PoolBookkeeping<Int>(limits: limits)
        _ = pool.acquire(now: at(0)); _ = pool.acquire(now: at(0))
        let waiter = pool.enqueueWaiter()
        let removed = pool.removeWaiter(waiter), removedAgain = pool.removeWaiter(waiter)
        #expect(removed && !removedAgain)
        let (_, handover) = pool.release(1, openedAt: at(0), reusable: true, now: at(1))
        #expect(handover == nil)
    }

    @Test func waitersPastTheirDeadlineExpireAndTheOthersKeepTheirPlace() {
        var pool = PoolBookkeeping<Int>(limits: limits)
        _ = pool.acquire(now: at(0)); _ = pool.acquire(now: at(0))
        #expect(pool.nextDeadline == nil)
        let first = pool.enqueueWaiter(deadline: at(5))
        let patient = pool.enqueueWaiter()  // no deadline: never expires
        let third = pool.enqueueWaiter(deadline: at(7))
        #expect(pool.nextDeadline == at(5))
        #expect(pool.expireWaiters(now: at(4)).isEmpty)
        #expect(pool.expireWaiters(now: at(5)) == [first])
        #expect(pool.waiters == [patient, third])
        #expect(pool.nextDeadline == at(7))
        // A waiter served before its deadline is not expired later.
        let (_, handover) = pool.release(1, openedAt: at(0), reusable: true, now: at(6))
        guard case .connection(1, _, let to)? = handover else { Issue.record("expected a handover"); return }
        #expect(to == patient)
        #expect(pool.expireWaiters(now: at(100)) == [third])
        #expect(pool.waiters.isEmpty && pool.nextDeadline == nil)
    }

    @Test func closingFailsWaitersAndRefusesNewAcquires() {
        var pool = PoolBookkeeping<Int>(limits: limits)
        _ = pool.acquire(now: at(0)); _ = pool.acquire(now: at(0))
        _ = pool.release(1, openedAt: at(0), reusable: true, now: at(1))
        let waiter = pool.enqueueWaiter()
        let (closed, failed) = pool.close()
        #expect(closed == [1] && failed == [waiter])
        guard case .closed = pool.acquire(now: at(2)).0 else { Issue.record("expected closed"); return }
        let (close, _) = pool.release(2, openedAt: at(0), reusable: true, now: at(3))
        #expect(close == 2)
    }
}

extension PoolBookkeeping.Handover: Equatable where Resource: Equatable {
    public static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.connection(let x, let t1, let w1), .connection(let y, let t2, let w2)): return x == y && t1 == t2 && w1 == w2
        case (.openSlot(let w1), .openSlot(let w2)): return w1 == w2
        default: return false
        }
    }
}
