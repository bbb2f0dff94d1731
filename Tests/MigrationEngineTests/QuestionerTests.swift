import Foundation
@testable import MigrationEngine
import Testing

/// Rename questions, asked and answered.
@Suite struct QuestionerTests {
    static let before = [Model("Customers") { AutoField("id"); CharField("name", maxLength: 250) }]
    static let renamedField = [Model("Customers") { AutoField("id"); CharField("full_name", maxLength: 250) }]
    static let renamedModel = [Model("Clients") { AutoField("id"); CharField("name", maxLength: 250) }]

    func changes(_ from: [Model], _ to: [Model], _ questioner: Questioner) throws -> [String] {
        try Autodetector(from: Fixtures.state(from), to: Fixtures.state(to)).changes(questioner: questioner).map(\.description)
    }

    @Test func interactiveFieldRenameYes() throws {
        let input = ScriptedInput(["y"])
        #expect(try changes(Self.before, Self.renamedField, input.questioner) == ["Rename field name on customers to full_name"])
        #expect(input.prompts == "Did you rename customers.name to customers.full_name (a CharField)? [y/N] ")
    }

    @Test func interactiveFieldRenameNoIsRemoveAndAdd() throws {
        let input = ScriptedInput(["maybe", "n"])
        let ops = try Autodetector(from: Fixtures.state(Self.before), to: Fixtures.state(Self.renamedField))
            .changes(questioner: ScriptedQuestioner(defaults: ["customers.full_name": "x"], fallback: input.questioner))
        #expect(ops.map(\.description) == ["Remove field name from customers", "Add field full_name to customers"])
        #expect(input.prompts.contains("Please answer yes or no: "))
    }

    @Test func interactiveModelRename() throws {
        let input = ScriptedInput(["yes"])
        #expect(try changes(Self.before, Self.renamedModel, input.questioner) == ["Rename model Customers to Clients"])
        #expect(input.prompts == "Did you rename the myproject.Customers model to Clients? [y/N] ")
    }

    @Test func endOfInputMeansNo() throws {
        let input = ScriptedInput([])
        #expect(try changes(Self.before, Self.renamedModel, input.questioner) == ["Create model Clients", "Delete model Customers"])
    }

    @Test func nonInteractiveNeverRenames() throws {
        #expect(try changes(Self.before, Self.renamedModel, NonInteractiveQuestioner()) == ["Create model Clients", "Delete model Customers"])
    }

    @Test func scriptedAnswers() throws {
        #expect(try changes(Self.before, Self.renamedModel, ScriptedQuestioner(renames: ["Customers=Clients"])) == ["Rename model Customers to Clients"])
        #expect(try changes(Self.before, Self.renamedField, ScriptedQuestioner(renames: ["customers.name=full_name"]))
                == ["Rename field name on customers to full_name"])
        #expect(throws: QuestionerError.self) { try ScriptedQuestioner.parseDefaults(["nodot=1"]) }
    }

    @Test func interactiveOneOffDefault() throws {
        let input = ScriptedInput(["1", "abc", "42"])
        let ops = try Autodetector(from: Fixtures.state(Self.before),
                                   to: Fixtures.state([Model("Customers") { AutoField("id"); CharField("name", maxLength: 250); IntegerField("age") }]))
            .changes(questioner: input.questioner)
        #expect(ops == [.addField(model: "Customers", field: IntegerField("age").state, oneOffDefault: .integer(42))])
        #expect(input.prompts.contains("It is impossible to add a non-nullable field 'age' to customers without specifying a default."))
        #expect(input.prompts.contains("That is not a valid IntegerField value."))
    }
}
