import ArgumentParser
import ArtCore
import ArtStore
import Foundation
import FoundationEssentials

extension ArtCommand {
  struct ListCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "ls",
      abstract: "List artifacts, one line each; with filters, those with a matching version.",
      discussion: """
        Each line: name, type, versions (matching ones, with filters), the \
        newest (matching) version, its files and size. Filters must all \
        hold: --type, --name GLOB, --alias, --tag, --metadata KEY=VALUE \
        (equal as JSON; a dotted key reaches nested values) or KEY>N, \
        KEY>=N, KEY<N, KEY<=N (numbers), --since, --until \
        (2024-01-31, 2024-01-31T12:00 UTC, or a duration ago such as 7d).

        Examples:
          art ls --type dataset
          art ls --name 'server_logs_*' --metadata year=2024 --metadata 'month<=6'
        """)

    @OptionGroup var global: GlobalOptions

    @OptionGroup var filters: FilterOptions

    @Flag(help: "Print as JSON.")
    var json = false

    func execute(output: Output) async throws {
      let repository = try repository()
      let filter = try filters.filter()
      let lines = try LogCommand.artifactLines(repository, repository.refs.read(), filter: filter)
      if json { return output.line(Formatting.document("artifacts", lines)) }
      if lines.isEmpty {
        return output.line(
          filter.isEmpty
            ? "no artifacts yet (make one with 'art commit NAME PATH')" : "no artifact matches")
      }
      LogCommand.print(lines, to: output)
    }
  }
}
