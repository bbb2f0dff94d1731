// Micro-benchmarks of the code every request runs through: money parsing and formatting, a
// row's text to JSON, the pool's acquire/release with its thread hop, and the retry wrapper.
//
// The pure ones need nothing. The ones that need a database (rows, pool, wrapper) run when
// BENCH_DATABASE_URL names one (scripts/bench-micro starts a throwaway cluster for them) and
// are skipped otherwise.
import Benchmark
import Database
import Foundation

let databaseURL = ProcessInfo.processInfo.environment["BENCH_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }

/// Short runs: these are for spotting a regression or a win of 2x, not the third digit.
func config(_ metrics: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal],
            scaling: BenchmarkScalingFactor = .kilo, needsDatabase: Bool = false) -> Benchmark.Configuration {
    .init(metrics: metrics, timeUnits: .nanoseconds, warmupIterations: 3, scalingFactor: scaling,
          maxDuration: .seconds(2), maxIterations: 1_000_000, skip: needsDatabase && databaseURL == nil)
}

/// The JSON string escaping of BankApp's JSONWriter (internal there, so copied: see the report),
/// into a byte array.
@inline(__always)
func appendJSONString(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    var runStart = 0
    for i in 0..<bytes.count {
        let byte = bytes[i]
        guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
        out.append(UInt8(ascii: "\\"))
        out.append(byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") ? byte : UInt8(ascii: "u"))
        runStart = i + 1
    }
    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
    out.append(UInt8(ascii: "\""))
}

let benchmarks: @Sendable () -> Void = {
    // MARK: Money (pure)

    let moneyTexts = ["12.50", "-0.05", "123456789.99", "1.230", "0", "9999999999999999.99"]
    Benchmark("Money parse (6 plain decimals)", configuration: config()) { benchmark in
        for _ in benchmark.scaledIterations {
            for text in moneyTexts { blackHole(Money(exactly: text)) }
        }
    }
    Benchmark("Money parse JSON number with exponent (1E+2)", configuration: config()) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(Money(exactly: "1.5E+2", allowingExponent: true)) }
    }
    let amounts = moneyTexts.compactMap { Money(exactly: $0) }
    Benchmark("Money format (6 values, description)", configuration: config()) { benchmark in
        for _ in benchmark.scaledIterations {
            for amount in amounts { blackHole(amount.description) }
        }
    }

    // MARK: Retry policy (pure)

    let policy = RetryPolicy.default
    Benchmark("RetryPolicy delay (attempts 2...10)", configuration: config()) { benchmark in
        for _ in benchmark.scaledIterations {
            for attempt in 2...10 { blackHole(policy.delay(beforeAttempt: attempt, random: 0.5)) }
        }
    }

    // MARK: Rows to JSON (a real libpq result, read in memory)

    guard let databaseURL else {
        Benchmark("rows to JSON (needs BENCH_DATABASE_URL)", configuration: config(needsDatabase: true)) { _ in }
        return
    }
    let connection = try! Connection(connectionString: databaseURL)
    // 100 rows shaped as GET /product/ reads them, names with a quote now and then.
    let rows = try! connection.execute("""
        SELECT g::INT8 AS id, 'Product "' || g || '" ice cream' AS name, (g * 1.25)::DECIMAL(18,2) AS price
        FROM generate_series(1, 100) AS g
        """)

    Benchmark("rows to JSON, 100 products: decode to Swift values, then write", configuration: config(scaling: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            var out: [UInt8] = []
            out.reserveCapacity(8192)
            out.append(UInt8(ascii: "["))
            for row in rows {
                let id = try! row.decode(Int64.self, at: 0)
                var name = try! row.decode(String.self, at: 1)
                let price = try! row.decode(Money.self, at: 2)
                out.append(contentsOf: #"{"id": "#.utf8)
                out.append(contentsOf: String(id).utf8)
                out.append(contentsOf: #", "name": "#.utf8)
                name.withUTF8 { appendJSONString($0, to: &out) }
                out.append(contentsOf: #", "price": ""#.utf8)
                out.append(contentsOf: price.description.utf8)
                out.append(contentsOf: #""}, "#.utf8)
            }
            out.append(UInt8(ascii: "]"))
            blackHole(out)
        }
    }

    Benchmark("rows to JSON, 100 products: straight from libpq's buffers", configuration: config(scaling: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            var out: [UInt8] = []
            out.reserveCapacity(8192)
            out.append(UInt8(ascii: "["))
            for row in rows {
                out.append(contentsOf: #"{"id": "#.utf8)
                row.withText(0) { out.append(contentsOf: $0) }
                out.append(contentsOf: #", "name": "#.utf8)
                row.withText(1) { appendJSONString($0, to: &out) }
                out.append(contentsOf: #", "price": ""#.utf8)
                row.withText(2) { out.append(contentsOf: $0) }  // numeric(18,2) text is already "12.50"
                out.append(contentsOf: #""}, "#.utf8)
            }
            out.append(UInt8(ascii: "]"))
            blackHole(out)
        }
    }

    // MARK: Pool and retry wrapper (round trips to a local PostgreSQL)

    let pool = ConnectionPool(configuration: PoolConfiguration(connectionString: databaseURL, minimumIdle: 1, maximum: 2))
    let dbConfig = config([.wallClock, .throughput, .mallocCountTotal], scaling: .one, needsDatabase: true)

    Benchmark("pool withConnection, empty body (acquire, hop, release)", configuration: dbConfig) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try await pool.withConnection { _ in 1 }) }
    }
    Benchmark("pool withConnection, SELECT by primary key (1 round trip)", configuration: dbConfig) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try await pool.withConnection { try $0.execute("SELECT $1::INT8 AS id", [Int64(7)]).count })
        }
    }
    Benchmark("pool withConnection, BEGIN READ ONLY + SELECT + COMMIT by hand", configuration: dbConfig) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try await pool.withConnection { connection in
                try connection.run("BEGIN READ ONLY")
                let count = try connection.execute("SELECT $1::INT8 AS id", [Int64(7)]).count
                try connection.run("COMMIT")
                return count
            })
        }
    }
    Benchmark("pool transaction (retry wrapper), read-only SELECT", configuration: dbConfig) { benchmark in
        let options = TransactionOptions(readOnly: true)
        for _ in benchmark.scaledIterations {
            blackHole(try await pool.transaction(options) { try $0.execute("SELECT $1::INT8 AS id", [Int64(7)]).count })
        }
    }
    Benchmark("connection, SELECT by primary key, same thread (no pool)", configuration: dbConfig) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try connection.execute("SELECT $1::INT8 AS id", [Int64(7)]).count) }
    }
}
