#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MigrationEngine

/// The catalog: who wrote what.
public enum Catalog {
    public static let label = "catalog"
    public static let models = [
        Model("Author") {
            BigAutoField("id", primaryKey: true)
            CharField("name", maxLength: 200)
        },
        Model("Book") {
            BigAutoField("id", primaryKey: true)
            CharField("title", maxLength: 300)
            ForeignKey("author", to: "Author", onDelete: .restrict)
        },
    ]
}

/// Loans: members borrow the catalog's books (a foreign key across apps).
public enum Loans {
    public static let label = "loans"
    public static let models = [
        Model("Member") {
            BigAutoField("id", primaryKey: true)
            CharField("name", maxLength: 200)
        },
        Model("Loan") {
            BigAutoField("id", primaryKey: true)
            ForeignKey("book", to: "catalog.Book", onDelete: .cascade)
            ForeignKey("member", to: "Member", onDelete: .cascade)
            DateTimeField("due", null: true)
        },
    ]
}

/// The service's apps, in order (catalog first: loans depends on it). Their folders are
/// relative to the folder `manage` runs in.
public let libraryApps = [
    MigrationApp(label: Catalog.label, models: Catalog.models, migrationsDirectory: URL(fileURLWithPath: "Migrations/catalog")),
    MigrationApp(label: Loans.label, models: Loans.models, migrationsDirectory: URL(fileURLWithPath: "Migrations/loans")),
]
