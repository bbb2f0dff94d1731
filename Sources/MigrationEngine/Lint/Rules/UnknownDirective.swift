/// A `-- lint:` comment that names no known rule, or is malformed. Reported whatever the
/// directives say (a broken directive cannot silence itself), in either part.
struct UnknownDirective: LintCheck {
    static let rule = LintRule(
        id: "lint-directive", severity: .warning,
        summary: "a -- lint: comment that names no known rule, or is malformed",
        fix: "write \"-- lint: allow <rule-id>[, <rule-id>...]\" with ids from `manage lint --rules`",
        checksDownPart: true)

    mutating func check(_ s: LintStatement, _ context: inout LintContext) {
        for bad in s.badDirectives {
            context.reportUnsilenceable(Self.rule, line: bad.line, statement: "-- \(bad.text)",
                                        message: "not a known lint directive (it silences nothing)")
        }
    }
}
