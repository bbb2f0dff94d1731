/// A migration's identity: its app and name (`myproject.0002_customers_email`), as Django's
/// `(app_label, name)` node keys.
public struct MigrationKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var app: String
    public var name: String

    public init(app: String, name: String) {
        self.app = app
        self.name = name
    }

    /// `myproject.0001_initial` → the key; nil without a dot.
    public init?(_ text: String) {
        guard let dot = text.firstIndex(of: "."), dot != text.startIndex, text.index(after: dot) != text.endIndex else { return nil }
        self.init(app: String(text[..<dot]), name: String(text[text.index(after: dot)...]))
    }

    public var description: String { "\(app).\(name)" }
    /// As Django prints a node in its errors: `('myproject', '0002_x')`.
    var djangoTuple: String { "('\(app)', '\(name)')" }

    public static func < (a: MigrationKey, b: MigrationKey) -> Bool { (a.app, a.name) < (b.app, b.name) }
}

/// Why a set of migrations does not make a graph.
public struct MigrationGraphError: Error, CustomStringConvertible, Equatable {
    public var description: String
}

/// The migrations of a project and their dependencies: Django's `MigrationGraph`.
///
/// Each migration is a node; each dependency an edge from the parent (applied first) to the
/// child. Numbers are only a naming convention: two developers' `0002`s on two branches are two
/// children of `0001`, and two leaves of the app until a merge migration depends on both.
/// Roots and leaves are counted within an app: a dependency on another app's migration does not
/// make a node a child for its own app.
///
/// Plans are Django's: a depth-first search from the target through parents (forwards) or
/// children (backwards), visiting them in sorted order, so the same graph always gives the same
/// order, and the same order as Django's.
public struct MigrationGraph: Sendable {
    public private(set) var nodes: Set<MigrationKey> = []
    private var parentsOf: [MigrationKey: Set<MigrationKey>] = [:]
    private var childrenOf: [MigrationKey: Set<MigrationKey>] = [:]

    public init() {}

    public mutating func addNode(_ key: MigrationKey) throws {
        guard !nodes.contains(key) else { throw MigrationGraphError(description: "Duplicate migration \(key): two migrations of that app have that name.") }
        nodes.insert(key)
    }

    /// Records that `child` depends on `parent`. Either may be added later; `validate()` reports
    /// a parent that never was (Django's dummy nodes).
    public mutating func addDependency(_ child: MigrationKey, on parent: MigrationKey) {
        parentsOf[child, default: []].insert(parent)
        childrenOf[parent, default: []].insert(child)
    }

    /// A squashed migration stands for the ones it replaces (Django's `remove_replaced_nodes`):
    /// they leave the graph, and what depended on them, or what they depended on outside the
    /// set, is attached to `replacement` instead.
    public mutating func replaceNodes(_ replaced: [MigrationKey], with replacement: MigrationKey) {
        let replacedSet = Set(replaced)
        for key in replaced {
            nodes.remove(key)
            for child in childrenOf[key, default: []] {
                parentsOf[child]?.remove(key)
                if !replacedSet.contains(child) && child != replacement { addDependency(child, on: replacement) }
            }
            for parent in parentsOf[key, default: []] {
                childrenOf[parent]?.remove(key)
                if !replacedSet.contains(parent) && parent != replacement { addDependency(replacement, on: parent) }
            }
            childrenOf[key] = nil
            parentsOf[key] = nil
        }
    }

    /// The originals stay and the squashed migration goes (Django's `remove_replacement_node`,
    /// for a database that has some of them applied): what depended on it depends on the last
    /// of the originals instead.
    public mutating func removeReplacementNode(_ replacement: MigrationKey, replaced: [MigrationKey]) {
        nodes.remove(replacement)
        let present = replaced.filter(nodes.contains)
        let parentsOfReplaced = Set(present.flatMap { parentsOf[$0, default: []] })
        let tips = present.filter { !parentsOfReplaced.contains($0) }
        for child in childrenOf[replacement, default: []] {
            parentsOf[child]?.remove(replacement)
            for tip in tips { addDependency(child, on: tip) }
        }
        for parent in parentsOf[replacement, default: []] { childrenOf[parent]?.remove(replacement) }
        childrenOf[replacement] = nil
        parentsOf[replacement] = nil
    }

    /// Throws Django's NodeNotFoundError message for the first dependency on a migration that is
    /// not in the graph, and CircularDependencyError's for a cycle.
    public func validate() throws {
        for key in parentsOf.keys.sorted() where nodes.contains(key) {
            for parent in parentsOf[key, default: []].sorted() where !nodes.contains(parent) {
                throw MigrationGraphError(description: "Migration \(key) dependencies reference nonexistent parent node \(parent.djangoTuple)")
            }
        }
        try ensureNotCyclic()
    }

    public func parents(_ key: MigrationKey) -> [MigrationKey] { parentsOf[key, default: []].filter(nodes.contains).sorted() }
    public func children(_ key: MigrationKey) -> [MigrationKey] { childrenOf[key, default: []].filter(nodes.contains).sorted() }

    /// The nodes with no parent in their own app: where each app starts.
    public func rootNodes(app: String? = nil) -> [MigrationKey] {
        nodes.filter { node in (app == nil || node.app == app) && parents(node).allSatisfy { $0.app != node.app } }.sorted()
    }

    /// The nodes with no child in their own app: each app's latest state. More than one in an app
    /// is a conflict (two branches' migrations) that a merge migration resolves.
    public func leafNodes(app: String? = nil) -> [MigrationKey] {
        nodes.filter { node in (app == nil || node.app == app) && children(node).allSatisfy { $0.app != node.app } }.sorted()
    }

    /// The apps with more than one leaf, and their leaves' names (Django's `detect_conflicts`).
    public func conflicts() -> [String: [String]] {
        Dictionary(grouping: leafNodes(), by: \.app).filter { $0.value.count > 1 }.mapValues { $0.map(\.name).sorted() }
    }

    /// What must be applied for `target` to be, in order, ending with `target`.
    public func forwardsPlan(_ target: MigrationKey) throws -> [MigrationKey] {
        guard nodes.contains(target) else { throw MigrationGraphError(description: "Node \(target.djangoTuple) not a valid node") }
        return depthFirst(from: target, forwards: true)
    }

    /// What must be unapplied for `target` to be, in order, ending with `target`.
    public func backwardsPlan(_ target: MigrationKey) throws -> [MigrationKey] {
        guard nodes.contains(target) else { throw MigrationGraphError(description: "Node \(target.djangoTuple) not a valid node") }
        return depthFirst(from: target, forwards: false)
    }

    /// Every node, in the order applying all the leaves gives (`showmigrations --plan`, the state
    /// makemigrations replays): the forwards plans of the leaves, each node once.
    public func fullPlan(apps: Set<String>? = nil) -> [MigrationKey] {
        var plan: [MigrationKey] = [], seen: Set<MigrationKey> = []
        for leaf in leafNodes() where apps?.contains(leaf.app) ?? true {
            for key in depthFirst(from: leaf, forwards: true) where seen.insert(key).inserted { plan.append(key) }
        }
        return plan
    }

    /// Django's `iterative_dfs`: a node is visited after everything it depends on (or, backwards,
    /// after everything that depends on it); neighbours pushed in sorted order, so the last in
    /// that order is searched first.
    private func depthFirst(from start: MigrationKey, forwards: Bool) -> [MigrationKey] {
        var visited: [MigrationKey] = [], done: Set<MigrationKey> = []
        var stack: [(MigrationKey, Bool)] = [(start, false)]
        while let top = stack.popLast() {
            let (node, processed) = top
            if done.contains(node) { continue }
            if processed {
                done.insert(node)
                visited.append(node)
            } else {
                stack.append((node, true))
                stack += (forwards ? parents(node) : children(node)).map { ($0, false) }
            }
        }
        return visited
    }

    private func ensureNotCyclic() throws {
        var todo = nodes
        for start in nodes.sorted() where todo.contains(start) {
            todo.remove(start)
            var stack = [start]
            while let top = stack.last {
                if let next = children(top).first(where: { stack.contains($0) || todo.contains($0) }) {
                    if let at = stack.firstIndex(of: next) {
                        throw MigrationGraphError(description: "Circular dependency between migrations: \(stack[at...].map(\.description).joined(separator: ", "))")
                    }
                    todo.remove(next)
                    stack.append(next)
                } else {
                    stack.removeLast()
                }
            }
        }
    }
}
