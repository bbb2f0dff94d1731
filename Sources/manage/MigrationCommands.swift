import ArgumentParser

// Placeholders until the migration engine lands.
struct MakeMigrationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "makemigrations")
}
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate")
}
struct ShowMigrationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "showmigrations")
}
struct SQLMigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sqlmigrate")
}
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check")
}
