import ArgumentParser
import ArtCore
import ArtRemote
import ArtStore
import Foundation
import SystemPackage

extension ArtCommand {
  struct FetchCommand: ArtSubcommand {
    static let printsSummary = true

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

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws { try target.validateAlone() }

    func execute(output: Output) async throws {
      let repository = try repository()
      let remote = try openRemote(target.remote, of: repository)
      let start = ContinuousClock.now
      let (result, refs) = try await withProgress(
        "fetch", unit: "packs", quiet: global.quiet, output: output
      ) {
        try await remote.fetch(progress: $0)
      }
      await mergeSmallPacks(repository, command: "art fetch", output: output)
      if json {
        return output.line(
          Formatting.document(
            TransferReport(
              remote: remote.name, result, artifactsOnRemote: refs.artifacts.count)))
      }
      output.line(
        "fetched from \(remote.name): "
          + fetchSummary(result, seconds: secondsSince(start)) + "; "
          + Formatting.count(refs.artifacts.count, "artifact") + " on the remote")
    }
  }
}
