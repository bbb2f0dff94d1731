// swift-tools-version:6.1
// The CockroachDB "Build a Python App with CockroachDB and Django" tutorial as a Swift service.
//
// Layers, bottom to top (each one a module; none reaches back up):
//   CLibPQ          the C shim over libpq (system library, pkg-config "libpq")
//   CLibCrypto      SHA-256 from OpenSSL's libcrypto, which libpq links (pkg-config "libcrypto")
//   Database        connections, typed values and rows, errors, the pool, the retry wrapper
//   MigrationEngine model declarations, state, diff, SQL writer, loader, recorder, executor
//   BankApp         the bank's models, its queries and the HTTP API
//   ManageCommands  the command line of a project's apps: makemigrations, migrate, ... (a library)
//   manage          the bank's command line: ManageCommands over its app, and runserver
import PackageDescription

let package = Package(
    name: "cockroach-django-swift",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "manage", targets: ["manage"]),
        // The framework, for a Swift service that is not the bank (Examples/Library is one): the
        // database layer (also used by the micro-benchmarks in Benchmarks/), the migrations, and
        // `manage` assembled from a list of apps.
        .library(name: "Database", targets: ["Database"]),
        .library(name: "MigrationEngine", targets: ["MigrationEngine"]),
        .library(name: "ManageCommands", targets: ["ManageCommands"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // No default traits: "FullFoundation" links full Foundation (and ICU's data) for the
        // URL-encoded form coders, "ConfigurationSupport" adds swift-configuration; the server uses
        // neither, and without them it links FoundationEssentials only.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        // For HTTPRequestPart in the server's own channel handler (already a dependency of Hummingbird).
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // /metrics: swift-metrics as the API, swift-prometheus as its backend.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Graceful shutdown of the server and its side services (already a dependency of Hummingbird).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(
            name: "Database",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // SHA-256 (migration checksums, name hashes) from the OpenSSL that libpq links already: with
        // swift-crypto every cold build compiled its own BoringSSL (about 380 C files) for one hash.
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "MigrationEngine",
            dependencies: [
                "Database",
                "CLibCrypto",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "BankApp",
            dependencies: [
                "Database",
                "MigrationEngine",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The OpenAPI document, compiled into the binary (PackageResources.openapi_json): the
            // committed .json file is the one source, and no resource bundle has to sit beside
            // the executable.
            resources: [.embedInCode("OpenAPI/openapi.json")]
        ),
        .target(
            name: "ManageCommands",
            dependencies: [
                "Database",
                "MigrationEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "manage",
            dependencies: [
                "Database",
                "MigrationEngine",
                "ManageCommands",
                "BankApp",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            // Release builds on Linux link with lld (in the Swift toolchain), relative relocations
            // packed (DT_RELR, glibc 2.36+: the .rela.dyn read at every start shrinks to a small
            // fraction of its size) and no symbol table exported for dlsym (nothing looks our
            // symbols up, and the table stayed resident). Both lower the server's idle memory:
            // the README's performance section has the figures, scripts/bench measures them.
            linkerSettings: [
                .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                              "-Xlinker", "--no-export-dynamic"],
                             .when(platforms: [.linux], configuration: .release)),
            ]
        ),
        // Shared by the test targets only: the test server's URL, a fresh database per test.
        .target(name: "TestSupport", dependencies: ["Database"], path: "Tests/TestSupport"),
        .testTarget(name: "DatabaseTests", dependencies: ["Database", "TestSupport"]),
        .testTarget(name: "MigrationEngineTests", dependencies: ["MigrationEngine", "Database", "TestSupport"]),
        // `manage` itself, run as a child process: the binary `swift build --build-tests` builds
        // next to the test bundle (not a dependency: the tests run the executable, not its code).
        .testTarget(name: "ManageTests", dependencies: ["Database", "TestSupport"]),
        .testTarget(
            name: "BankAppTests",
            dependencies: [
                "BankApp", "Database", "MigrationEngine", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ]
)
