@testable import MigrationEngine
import Testing

/// The migration graph without files or a database: plans, roots, leaves, conflicts, errors.
/// The expected orders are what Django 5.2's MigrationGraph gives for the same graph.
@Suite struct MigrationGraphTests {
    static func key(_ text: String) -> MigrationKey { MigrationKey(text)! }

    /// myproject: 0001 → 0002_a, 0002_b → 0003_merge → 0004_x; 0002_b also needs other.0001_initial.
    static func merged() throws -> MigrationGraph {
        var graph = MigrationGraph()
        for name in ["myproject.0001_initial", "myproject.0002_a", "myproject.0002_b", "myproject.0003_merge", "myproject.0004_x",
                     "other.0001_initial"] {
            try graph.addNode(key(name))
        }
        for (child, parent) in [("0002_a", "0001_initial"), ("0002_b", "0001_initial"), ("0003_merge", "0002_a"),
                                ("0003_merge", "0002_b"), ("0004_x", "0003_merge")] {
            graph.addDependency(key("myproject." + child), on: key("myproject." + parent))
        }
        graph.addDependency(key("myproject.0002_b"), on: key("other.0001_initial"))
        try graph.validate()
        return graph
    }

    @Test func plansFollowDjangosDepthFirstOrder() throws {
        let graph = try Self.merged()
        #expect(try graph.forwardsPlan(Self.key("myproject.0004_x")).map(\.description) == [
            "other.0001_initial", "myproject.0001_initial", "myproject.0002_b", "myproject.0002_a", "myproject.0003_merge", "myproject.0004_x",
        ])
        #expect(try graph.backwardsPlan(Self.key("myproject.0001_initial")).map(\.description) == [
            "myproject.0004_x", "myproject.0003_merge", "myproject.0002_b", "myproject.0002_a", "myproject.0001_initial",
        ])
        #expect(try graph.backwardsPlan(Self.key("other.0001_initial")).map(\.description) == [
            "myproject.0004_x", "myproject.0003_merge", "myproject.0002_b", "other.0001_initial",
        ])
        #expect(try graph.forwardsPlan(Self.key("myproject.0002_a")).map(\.description) == ["myproject.0001_initial", "myproject.0002_a"])
    }

    @Test func rootsAndLeavesIgnoreOtherApps() throws {
        let graph = try Self.merged()
        #expect(graph.rootNodes().map(\.description) == ["myproject.0001_initial", "other.0001_initial"])
        #expect(graph.leafNodes().map(\.description) == ["myproject.0004_x", "other.0001_initial"])
        #expect(graph.rootNodes(app: "myproject").map(\.description) == ["myproject.0001_initial"])
        #expect(graph.leafNodes(app: "myproject").map(\.description) == ["myproject.0004_x"])
        #expect(graph.conflicts().isEmpty)
        #expect(graph.parents(Self.key("myproject.0003_merge")).map(\.name) == ["0002_a", "0002_b"])
        #expect(graph.children(Self.key("myproject.0001_initial")).map(\.name) == ["0002_a", "0002_b"])
    }

    @Test func twoBranchesWithoutAMergeAreAConflict() throws {
        var graph = MigrationGraph()
        for name in ["0001_initial", "0002_a", "0002_b"] { try graph.addNode(Self.key("myproject." + name)) }
        graph.addDependency(Self.key("myproject.0002_a"), on: Self.key("myproject.0001_initial"))
        graph.addDependency(Self.key("myproject.0002_b"), on: Self.key("myproject.0001_initial"))
        try graph.validate()
        #expect(graph.leafNodes(app: "myproject").map(\.name) == ["0002_a", "0002_b"])
        #expect(graph.conflicts() == ["myproject": ["0002_a", "0002_b"]])
        #expect(graph.fullPlan().map(\.name) == ["0001_initial", "0002_a", "0002_b"])
    }

    @Test func aMissingParentIsDjangosNodeNotFoundError() throws {
        var graph = MigrationGraph()
        try graph.addNode(Self.key("myproject.0001_initial"))
        try graph.addNode(Self.key("myproject.0002_x"))
        graph.addDependency(Self.key("myproject.0002_x"), on: Self.key("myproject.0001_nope"))
        #expect(throws: MigrationGraphError(description: "Migration myproject.0002_x dependencies reference nonexistent parent node ('myproject', '0001_nope')")) {
            try graph.validate()
        }
        #expect(throws: MigrationGraphError.self) { try graph.forwardsPlan(Self.key("myproject.0001_nope")) }
    }

    @Test func aCycleAndADuplicateAreRefused() throws {
        var graph = MigrationGraph()
        for name in ["0001_a", "0002_b", "0003_c"] { try graph.addNode(Self.key("myproject." + name)) }
        graph.addDependency(Self.key("myproject.0002_b"), on: Self.key("myproject.0001_a"))
        graph.addDependency(Self.key("myproject.0003_c"), on: Self.key("myproject.0002_b"))
        try graph.validate()
        graph.addDependency(Self.key("myproject.0001_a"), on: Self.key("myproject.0003_c"))
        #expect(throws: MigrationGraphError(description: "Circular dependency between migrations: myproject.0001_a, myproject.0002_b, myproject.0003_c")) {
            try graph.validate()
        }
        #expect(throws: MigrationGraphError.self) { try graph.addNode(Self.key("myproject.0002_b")) }
    }

    @Test func keysReadAndSortAsDjangosTuples() {
        #expect(MigrationKey("myproject.0001_initial") == MigrationKey(app: "myproject", name: "0001_initial"))
        #expect(MigrationKey("myproject") == nil && MigrationKey(".0001") == nil && MigrationKey("a.") == nil)
        #expect(MigrationKey(app: "a", name: "0002") < MigrationKey(app: "b", name: "0001"))
    }
}
