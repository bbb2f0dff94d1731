/// The file is not a migration file migrate can read (checked once per file, not per statement).
enum UnreadableFile {
    static let rule = LintRule(
        id: "unreadable-file", severity: .error,
        summary: "the file is not a migration file migrate can read",
        fix: "fix the file format (see the header of a generated migration)",
        checksDownPart: true)

    /// The finding for `text`, if `MigrationFile.parse` refuses it.
    static func finding(_ text: String, file: String) -> LintFinding? {
        let fileName = file.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? file
        do {
            _ = try MigrationFile.parse(text, fileName: fileName)
            return nil
        } catch {
            let problem = error as? MigrationFileError
            return LintFinding(rule: rule, file: file, line: problem?.line ?? 1, statement: "(file)",
                               message: problem?.message ?? "\(error)")
        }
    }
}
