import ArgumentParser
import ArtCore
import SystemPackage

extension ArtCommand {
  struct InitCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "init",
      abstract: "Create an empty repository.",
      discussion: """
        Creates DIR/.art (DIR defaults to the current folder, and is created \
        if missing). Running it where a repository exists changes nothing.

        Examples:
          art init
          art init datasets/imagenet
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The folder to put the repository in.")
    var directory: String = "."

    func execute(output: Output) async throws {
      let root = try global.resolve(directory)
      if try Repository.initialize(at: root) {
        output.line("Initialized empty art repository in \(root.appending(".art"))")
      } else {
        output.line("art repository already exists in \(root.appending(".art")); nothing changed")
      }
    }
  }
}
