import ArgumentParser
import ArtCore
import ArtRemote
import ArtStore
import Foundation
import SystemPackage

extension ArtCommand {
  struct PullCommand: ArtSubcommand {
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

    func execute(output: Output) async throws {
      let repository = try repository()
      let remote = try openRemote(target.remote, of: repository)
      let start = ContinuousClock.now
      let refStore = refStore(repository, output: output)
      let (result, changes) = try await withProgress(
        "pull", quiet: global.quiet, output: output
      ) { try await remote.pull(refStore: refStore, progress: $0) }
      reportPull(remote, result, changes, seconds: secondsSince(start), output: output)
    }
  }
}
