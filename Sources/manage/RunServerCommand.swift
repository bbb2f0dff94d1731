import ArgumentParser

// Placeholder until the API lands.
struct RunServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runserver", aliases: ["serve"])
}
