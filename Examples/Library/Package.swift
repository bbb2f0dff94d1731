// swift-tools-version:6.1
// A second service on the framework: a lending library with two apps, `catalog` (authors and
// books) and `loans` (members and their loans, a foreign key to catalog's books). It depends on
// the framework by path, declares its apps and gets every `manage` command for its models.
import PackageDescription

let package = Package(
    name: "library-service",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "cockroach-django-swift", path: "../.."),
    ],
    targets: [
        .target(
            name: "LibraryModels",
            dependencies: [.product(name: "MigrationEngine", package: "cockroach-django-swift")]
        ),
        .executableTarget(
            name: "library-manage",
            dependencies: [
                "LibraryModels",
                .product(name: "ManageCommands", package: "cockroach-django-swift"),
                .product(name: "MigrationEngine", package: "cockroach-django-swift"),
            ]
        ),
    ]
)
