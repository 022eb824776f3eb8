import ArgumentParser
import ArtCore
import ArtRemote
import ArtStore
import Foundation
import SystemPackage

extension ArtCommand {
  struct PullCommand: ArtSubcommand {
    static let printsSummary = true

    static let configuration = CommandConfiguration(
      commandName: "pull",
      abstract: "Fetch, then take the remote's versions and aliases here.",
      discussion: """
        A version made here under a number the remote gave to another \
        version is renumbered after the remote's; an alias moved both here \
        and on the remote stays as it is here.

        Example:
          art pull origin
        """)

    @OptionGroup var global: GlobalOptions

    @OptionGroup var target: RemoteArgument

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws { try target.validateAlone() }

    func execute(output: Output) async throws {
      let repository = try repository()
      let remote = try openRemote(target.remote, of: repository)
      let start = ContinuousClock.now
      let refStore = refStore(repository, output: output)
      let (result, changes) = try await withProgress(
        "pull", unit: "packs", quiet: global.quiet, output: output
      ) { try await remote.pull(refStore: refStore, progress: $0) }
      await mergeSmallPacks(repository, command: "art pull", output: output)
      if json {
        var report = TransferReport(remote: remote.name, result)
        report.added = changes.added
        report.renumbered = changes.renumbered
        report.aliases = changes.aliases
        report.keptAliases = changes.keptAliases
        report.deleted = changes.deleted
        report.journal = changes.journal
        return output.line(Formatting.document(report))
      }
      reportPull(remote, result, changes, seconds: secondsSince(start), output: output)
    }
  }
}
