import ArgumentParser
import ArtCore
import ArtRemote
import ArtStore
import Foundation
import SystemPackage

extension ArtCommand {
  struct FetchCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "fetch",
      abstract: "Download a remote's refs and the objects this repository lacks.",
      discussion: """
        Local aliases do not move; 'art pull' does that. Fetched versions are \
        kept by gc until pulled.

        Example:
          art fetch origin
        """)

    @OptionGroup var global: GlobalOptions

    @OptionGroup var target: RemoteArgument

    func execute(output: Output) async throws {
      let repository = try repository()
      let remote = try openRemote(target.remote, of: repository)
      let start = ContinuousClock.now
      let (result, refs) = try await withProgress("fetch", quiet: global.quiet, output: output) {
        try await remote.fetch(progress: $0)
      }
      output.line(
        "fetched from \(remote.name): "
          + fetchSummary(result, seconds: secondsSince(start)) + "; "
          + Formatting.count(refs.artifacts.count, "artifact") + " on the remote")
    }
  }
}
