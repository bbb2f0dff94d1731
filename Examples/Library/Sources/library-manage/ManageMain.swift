import LibraryModels
import ManageCommands

/// `library-manage`: makemigrations, migrate, showmigrations, ... for the library's two apps.
@main
enum ManageMain {
    static func main() {
        ManageProject(summary: "the lending library", apps: libraryApps).main()
    }
}
