import ArgumentParser
import ArtCore
import SystemPackage

extension ArtCommand {
  struct InitCommand: ArtSubcommand {
    static let printsSummary = true

    static let configuration = CommandConfiguration(
      commandName: "init",
      abstract: "Create an empty repository.",
      discussion: """
        Creates DIR/.art (DIR defaults to the current folder, and is created \
        if missing). Running it where a repository exists changes nothing. \
        Inside a git work tree it adds the store (/.art/, or its path from \
        the work tree's top) to .git/info/exclude, git's own ignore file \
        that is never committed, so 'git add .' leaves the packs out.

        Examples:
          art init
          art init datasets/imagenet
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The folder to put the repository in.")
    var directory: String = "."

    @Flag(help: "Print the result as JSON.")
    var json = false

    func execute(output: Output) async throws {
      let root = try global.resolve(directory)
      let created = try Repository.initialize(at: root)
      // Inside a git work tree: git is told to leave the store alone.
      let exclude = try GitExclude.add(forRepositoryAt: root)
      if json {
        struct Report: Encodable {
          var repository: String
          var created: Bool
          /// The git exclude file `/.art/` was added to, when it was.
          var gitExclude: String?
        }
        return output.line(
          Formatting.document(
            Report(
              repository: root.appending(".art").string, created: created,
              gitExclude: exclude?.string)))
      }
      if created {
        output.line("Initialized empty art repository in \(root.appending(".art"))")
      } else {
        output.line("art repository already exists in \(root.appending(".art")); nothing changed")
      }
      if let exclude {
        output.line("added the store to \(exclude), so git leaves it alone")
      }
    }
  }
}
