// swift-tools-version:6.1
// The peer that `make bench-peer` (and `BENCH_PEER=1 make bench`) measures beside this project:
// the bench scenarios' endpoints written the way a Hummingbird 2 + postgres-nio user would write
// them, with the same SQL. A package of its own, built with `swift build -c release` here (its
// own .build), so that nothing of it reaches the project's build or tests.
import PackageDescription

let package = Package(
    name: "bank-peer",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "bank-peer", targets: ["BankPeer"]),
    ],
    dependencies: [
        // No default traits, as in the project: the peer needs neither swift-configuration nor
        // the URL-encoded form coders.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "BankPeer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/BankPeer"
        ),
    ]
)
