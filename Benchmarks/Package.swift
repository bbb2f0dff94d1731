// swift-tools-version:6.1
// Micro-benchmarks for the hot pure code of the Database layer (ordo-one/benchmark), kept out of
// the root package so that `make test` never builds the benchmark framework. Run with
// `make bench-micro` (scripts/bench-micro), or here: `swift package benchmark`.
import PackageDescription

let package = Package(
    name: "bank-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "cockroach-django-swift", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "DatabaseBenchmarks",
            dependencies: [
                .product(name: "Database", package: "cockroach-django-swift"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/DatabaseBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
