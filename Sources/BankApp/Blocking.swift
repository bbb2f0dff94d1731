import NIOPosix

/// Runs blocking work (libpq) once, at start-up, on a thread of its own that ends with it: not on
/// Swift's cooperative threads, and without keeping a thread pool alive for the server's lifetime
/// (`NIOThreadPool.singleton` would, two more threads).
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let thread = NIOThreadPool(numberOfThreads: 1)
    thread.start()
    do {
        let value = try await thread.runIfActive(body)
        try? await thread.shutdownGracefully()
        return value
    } catch {
        try? await thread.shutdownGracefully()
        throw error
    }
}
