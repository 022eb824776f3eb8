import ArgumentParser
import ArtCore
import ArtStore
import Foundation
import SystemPackage

extension ArtCommand {
  struct ProjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "project",
      abstract: "Name other art repositories, so their versions can be used here.",
      discussion: """
        After 'art project add NAME PATH', NAME/artifact:alias is a spec in \
        checkout, show, log, diff and commit --input. Checking out such a \
        version copies the objects it needs into this repository (through \
        the shared cache), so it survives the other project's gc; --input \
        copies the input's record, so lineage shows where it came from.

        Examples:
          art project add vision /data/projects/vision
          art checkout vision/imagenet:production --to data/imagenet
          art commit model out/ --input vision/imagenet:production
        """,
      subcommands: [Add.self, List.self, Remove.self])

    struct Add: ArtSubcommand {

      static let printsSummary = true

      static let configuration = CommandConfiguration(
        abstract: "Add another art repository as project NAME.")

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The project's name (letters, digits, '.', '_', '-').")
      var name: String

      @Argument(help: "The repository's folder (the one holding .art).")
      var path: String

      @Flag(help: "Print the result as JSON.")
      var json = false

      func execute(output: Output) async throws {
        let repository = try repository()
        let folder = try global.resolve(path)
        try repository.addProject(name, path: folder)
        if json {
          return output.line(
            Formatting.document(NamedPlace(name: name, location: folder.string, change: "added")))
        }
        output.line("added project \(name) at \(folder)")
      }
    }

    struct List: ArtSubcommand {
      static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List projects.")

      @OptionGroup var global: GlobalOptions

      @Flag(help: "Print as JSON.")
      var json = false

      struct Line: Encodable {
        var name: String
        var path: String
        var reachable: Bool
      }

      func execute(output: Output) async throws {
        let repository = try repository()
        let lines = repository.configuration.projects.sorted { $0.key < $1.key }.map {
          Line(
            name: $0.key, path: $0.value.string,
            reachable: Syscalls.isDirectory($0.value.appending(Repository.directoryName)))
        }
        if json { return output.line(Formatting.document("projects", lines)) }
        if lines.isEmpty { output.line("no projects (add one with 'art project add NAME PATH')") }
        for line in lines {
          output.line("\(line.name)\t\(line.path)" + (line.reachable ? "" : "\t(not found)"))
        }
      }
    }

    struct Remove: ArtSubcommand {

      static let printsSummary = true

      static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove a project; versions already copied from it stay.")

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The project's name.")
      var name: String

      @Flag(help: "Print the result as JSON.")
      var json = false

      func execute(output: Output) async throws {
        try repository().removeProject(name)
        if json {
          return output.line(
            Formatting.document(NamedPlace(name: name, location: nil, change: "removed")))
        }
        output.line("removed project \(name)")
      }
    }
  }
}
