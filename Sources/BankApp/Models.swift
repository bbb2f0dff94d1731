import MigrationEngine

/// The bank's models: the tutorial's `models.py`, declared in Swift.
///
/// `manage makemigrations` turns changes to these declarations into files under `Migrations/`;
/// the tables are `myproject_customers`, `myproject_products`, `myproject_orders` and the
/// join table `myproject_orders_product` (columns `id`, `orders_id`, `products_id`).
public enum BankModels {
    /// The tutorial's Django app, `myproject`: every table name starts with it.
    public static let appLabel = "myproject"

    public static let all: [Model] = [
        Model("Customers") {
            AutoField("id", primaryKey: true)
            CharField("name", maxLength: 250)
        },
        Model("Products") {
            AutoField("id", primaryKey: true)
            CharField("name", maxLength: 250)
            DecimalField("price", maxDigits: 18, decimalPlaces: 2)
        },
        Model("Orders") {
            AutoField("id", primaryKey: true)
            DecimalField("subtotal", maxDigits: 18, decimalPlaces: 2)
            ForeignKey("customer", to: "Customers", onDelete: .cascade, null: true)
            ManyToManyField("product", to: "Products")
        },
    ]
}
