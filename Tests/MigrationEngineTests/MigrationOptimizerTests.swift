@testable import MigrationEngine
import Testing

/// The optimizer on its own: Django's reductions, and where it must stop.
@Suite struct MigrationOptimizerTests {
    static let customers = try! Fixtures.state(Fixtures.bank).model("customers")!
    static let email = CharField("email", maxLength: 254, null: true).state

    @Test func createThenAddFieldIsOneCreate() throws {
        var expected = Self.customers
        expected.fields.append(Self.email)
        #expect(MigrationOptimizer.optimize([.createModel(Self.customers), .addField(model: "Customers", field: Self.email)])
            == [.createModel(expected)])
    }

    @Test func addThenRemoveIsNothingAndCreateThenDeleteIsNothing() {
        #expect(MigrationOptimizer.optimize([.addField(model: "Customers", field: Self.email), .removeField(model: "customers", name: "email")]) == [])
        #expect(MigrationOptimizer.optimize([.createModel(Self.customers), .deleteModel(name: "Customers")]) == [])
        let alter = CharField("email", maxLength: 100, null: true).state
        #expect(MigrationOptimizer.optimize([.alterField(model: "Customers", field: Self.email), .alterField(model: "Customers", field: alter)])
            == [.alterField(model: "Customers", field: alter)])
        #expect(MigrationOptimizer.optimize([.addField(model: "Customers", field: Self.email), .alterField(model: "Customers", field: alter)])
            == [.addField(model: "Customers", field: alter)])
    }

    @Test func aFieldPointingAtALaterModelGoesAfterIt() throws {
        let state = try Fixtures.state(Fixtures.bank)
        let orders = try #require(state.model("orders")), products = try #require(state.model("products"))
        let customer = try #require(orders.field("customer"))
        var bare = orders
        bare.fields.removeAll { $0.name == "customer" }
        var withCustomer = bare
        withCustomer.fields.append(customer)
        let customers = try #require(state.model("customers"))
        // Create Orders, create Customers, add Orders.customer → Customers: the create moves after Customers.
        #expect(MigrationOptimizer.optimize([.createModel(bare), .createModel(customers), .addField(model: "Orders", field: customer)])
            == [.createModel(customers), .createModel(withCustomer)])
        // Unrelated operations stay as they are.
        let unrelated: [Operation] = [.createModel(products), .addField(model: "Customers", field: Self.email)]
        #expect(MigrationOptimizer.optimize(unrelated) == unrelated)
    }

    @Test func anOperationOnTheFieldInBetweenStopsTheReduction() {
        let ops: [Operation] = [.addField(model: "Customers", field: Self.email),
                                .renameField(model: "Customers", oldName: "email", newName: "mail"),
                                .removeField(model: "Customers", name: "email")]
        // Add + rename reduce to one add of "mail"; the remove of "email" then has nothing to meet.
        #expect(MigrationOptimizer.optimize(ops) == [.addField(model: "Customers", field: Self.email.renamed("mail")),
                                                     .removeField(model: "Customers", name: "email")])
    }
}
