import NIOConcurrencyHelpers
import NIOCore

/// A same-row write refused because too many others wait for that row.
struct SameRowQueueFull: Error, Equatable {
    let waiting: Int
}

/// Runs operations on the same key one after the other, in arrival order; operations on different
/// keys run concurrently. A key with nothing in flight takes no memory.
///
/// Why: under SERIALIZABLE, two transactions updating the same row at once cannot both commit:
/// the second waits for the first's row lock, then fails with 40001 and is rerun, and under load
/// (64 clients on 5 hot rows, `make bench`'s `contended`) some requests lost that race ten times
/// in a row and got a 503. Queueing same-row writes here, before they take a database
/// connection, turns those conflicts into a short wait in memory. Writes from other processes
/// can still conflict; the retry wrapper still handles them.
///
/// The queue of a key is bounded (`maximumWaiting`): each waiter is a client whose answer comes
/// only after everyone ahead of it, so past the bound a new write is refused at once
/// (`SameRowQueueFull`, a 503 with Retry-After) rather than answered after a wait no client
/// would sit through.
final class KeyedSerializer<Key: Hashable & Sendable>: Sendable {
    /// Keys with an operation in flight, and who waits behind it, first come first served.
    private let queues = NIOLockedValueBox<[Key: CircularBuffer<CheckedContinuation<Void, Never>>]>([:])
    let maximumWaiting: Int

    init(maximumWaiting: Int = 100) {
        self.maximumWaiting = maximumWaiting
    }

    func run<T: Sendable>(_ key: Key, _ body: () async throws -> T) async throws -> T {
        try await acquire(key)
        do {
            let value = try await body()
            release(key)
            return value
        } catch {
            release(key)
            throw error
        }
    }

    /// Keys with an operation in flight (for tests).
    var activeKeys: Int { queues.withLockedValue { $0.count } }

    /// Waiters behind the operation in flight on `key` (for tests).
    func waiting(_ key: Key) -> Int { queues.withLockedValue { $0[key]?.count ?? 0 } }

    private enum Admission { case granted, queued, full(Int) }

    private func acquire(_ key: Key) async throws {
        let free = queues.withLockedValue { queues -> Bool in
            guard queues[key] == nil else { return false }
            queues[key] = []
            return true
        }
        if free { return }
        var refused: SameRowQueueFull?
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admission = queues.withLockedValue { queues -> Admission in
                guard queues[key] != nil else {  // freed in between
                    queues[key] = []
                    return .granted
                }
                guard queues[key]!.count < maximumWaiting else { return .full(queues[key]!.count) }
                queues[key]!.append(continuation)
                return .queued
            }
            switch admission {
            case .granted: continuation.resume()
            case .full(let waiting):
                refused = SameRowQueueFull(waiting: waiting)
                continuation.resume()
            case .queued: break
            }
        }
        if let refused { throw refused }
    }

    /// The next waiter's turn (the key stays taken), or the key is free.
    private func release(_ key: Key) {
        let next = queues.withLockedValue { queues -> CheckedContinuation<Void, Never>? in
            guard let next = queues[key]?.popFirst() else {
                queues[key] = nil
                return nil
            }
            return next
        }
        next?.resume()
    }
}
