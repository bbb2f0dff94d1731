import NIOConcurrencyHelpers

/// Runs operations on the same key one after the other, in arrival order; operations on different
/// keys run concurrently. A key with nothing in flight takes no memory.
///
/// Why: under SERIALIZABLE, two transactions updating the same row at once cannot both commit:
/// the second waits for the first's row lock, then fails with 40001 and is rerun, and under load
/// (64 clients on 5 hot rows, `make bench`'s `contended`) some requests lost that race ten times
/// in a row and got a 503. Queueing same-row writes here, before they take a database
/// connection, turns those conflicts into a short wait in memory. Writes from other processes
/// can still conflict; the retry wrapper still handles them.
final class KeyedSerializer<Key: Hashable & Sendable>: Sendable {
    /// Keys with an operation in flight, and who waits behind it.
    private let queues = NIOLockedValueBox<[Key: [CheckedContinuation<Void, Never>]]>([:])

    init() {}

    func run<T: Sendable>(_ key: Key, _ body: () async throws -> T) async throws -> T {
        await acquire(key)
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

    private func acquire(_ key: Key) async {
        let free = queues.withLockedValue { queues -> Bool in
            guard queues[key] == nil else { return false }
            queues[key] = []
            return true
        }
        if free { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = queues.withLockedValue { queues -> Bool in
                guard queues[key] != nil else {  // freed in between
                    queues[key] = []
                    return true
                }
                queues[key]!.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    /// The next waiter's turn (the key stays taken), or the key is free.
    private func release(_ key: Key) {
        let next = queues.withLockedValue { queues -> CheckedContinuation<Void, Never>? in
            guard let waiting = queues[key], !waiting.isEmpty else {
                queues[key] = nil
                return nil
            }
            queues[key] = Array(waiting.dropFirst())
            return waiting[0]
        }
        next?.resume()
    }
}
