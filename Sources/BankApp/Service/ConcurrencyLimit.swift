import Database
import NIOConcurrencyHelpers
import NIOCore

/// How many transactions of one kind may run at once: additive increase while they commit at the
/// first attempt, multiplicative decrease when they conflict (AIMD, as TCP's congestion window).
///
/// Pure arithmetic, so the rule is tested without a database or a clock.
struct AIMDLimit: Equatable {
    let minimum: Double
    let maximum: Double
    /// Cut to this fraction on a conflict.
    let backoff: Double
    private(set) var value: Double

    init(initial: Int, minimum: Int, maximum: Int, backoff: Double = 0.75) {
        self.minimum = Double(max(1, minimum))
        self.maximum = Double(max(minimum, maximum))
        self.backoff = backoff
        value = min(self.maximum, max(self.minimum, Double(initial)))
    }

    /// How many may run now.
    var permitted: Int { Int(value) }

    /// A transaction ended: `conflicted` when it needed a retry (40001) or ran out of them.
    mutating func record(conflicted: Bool) {
        if conflicted {
            value = max(minimum, value * backoff)
        } else {
            // About one more per limit's worth of clean commits.
            value = min(maximum, value + 1 / value)
        }
    }
}

/// Runs transactions of one kind (new orders) at most `AIMDLimit.permitted` at once; the others
/// wait in line, first come first served, holding no connection.
///
/// Why: concurrent order transactions under SERIALIZABLE conflict on the join table's index
/// pages; each conflict reruns a whole transaction, which adds load, which adds conflicts. Past a
/// point throughput collapses and requests run out of retries (503). Letting through only as
/// many as commit cleanly keeps the database near its peak: when conflicts appear the limit
/// drops at once, and it creeps back up while commits are clean.
final class ConcurrencyLimit: Sendable {
    private struct State {
        var limit: AIMDLimit
        var running = 0
        var waiting = CircularBuffer<CheckedContinuation<Void, Never>>()
    }

    private let state: NIOLockedValueBox<State>

    init(initial: Int = 4, minimum: Int = 1, maximum: Int) {
        state = NIOLockedValueBox(State(limit: AIMDLimit(initial: initial, minimum: minimum, maximum: maximum)))
    }

    /// The limit now, and how many run and wait (for tests and metrics).
    var snapshot: (limit: Int, running: Int, waiting: Int) {
        state.withLockedValue { ($0.limit.permitted, $0.running, $0.waiting.count) }
    }

    func run<T: Sendable>(_ body: () async throws -> Committed<T>) async throws -> Committed<T> {
        await acquire()
        do {
            let committed = try await body()
            release(conflicted: committed.attempts > 1)
            return committed
        } catch {
            release(conflicted: Self.isConflict(error))
            throw error
        }
    }

    static func isConflict(_ error: Error) -> Bool {
        switch error {
        case DatabaseError.retriesExhausted: return true
        case DatabaseError.server(let server): return server.isSerializationFailure
        default: return false
        }
    }

    private func acquire() async {
        let admitted = state.withLockedValue { state -> Bool in
            guard state.waiting.isEmpty, state.running < state.limit.permitted else { return false }
            state.running += 1
            return true
        }
        if admitted { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admittedNow = state.withLockedValue { state -> Bool in
                // A slot freed meanwhile, with nobody ahead: take it.
                if state.waiting.isEmpty, state.running < state.limit.permitted {
                    state.running += 1
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if admittedNow { continuation.resume() }
        }
    }

    /// Frees a slot and admits as many waiters, in order, as the new limit allows.
    private func release(conflicted: Bool) {
        let admitted = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.running -= 1
            state.limit.record(conflicted: conflicted)
            var admitted: [CheckedContinuation<Void, Never>] = []
            while state.running < state.limit.permitted, let next = state.waiting.popFirst() {
                state.running += 1
                admitted.append(next)
            }
            return admitted
        }
        admitted.forEach { $0.resume() }
    }
}
