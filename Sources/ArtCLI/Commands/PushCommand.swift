import ArgumentParser
import ArtCore
import ArtRemote
import ArtStore
import Foundation
import SystemPackage

extension ArtCommand {
  struct PushCommand: ArtSubcommand {
    static let printsSummary = true

    static let configuration = CommandConfiguration(
      commandName: "push",
      abstract: "Upload versions to a remote.",
      discussion: """
        Sends the objects the versions need that the remote lacks, then \
        updates the remote's refs with a compare-and-swap, so two pushes \
        racing from two clones both land or one is told to pull first. An \
        interrupted push sends only what did not arrive when run again.

        Examples:
          art push
          art push origin imagenet
        """)

    @OptionGroup var global: GlobalOptions

    @OptionGroup var target: RemoteArgument

    @Argument(help: "Artifacts to push (default: all).", completion: Completion.artifact)
    var artifacts: [String] = []

    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Report: Encodable {
      var remote: String
      var location: String
      var packs: Int
      var objects: Int
      var bytes: UInt64
      var resumedBytes: UInt64
      var objectsPresent: Int
      var added: [String]
      var deleted: [String]
      var aliases: [String]
      /// Journal events (tags, annotations, uses, renames) new on the remote.
      var journal: Int
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let (remoteName, artifacts) = target.split(artifacts)
      let remote = try openRemote(remoteName, of: repository)
      let refs = try repository.refs.read()
      var names: [ArtifactName]? = nil
      if !artifacts.isEmpty {
        names = try artifacts.map { text in
          let name = try ArtifactName(text.split(separator: ":").first.map(String.init) ?? text)
          // An artifact whose versions were all removed still has lines
          // to push (its removals).
          guard refs.artifacts.contains(name) else {
            throw ArtError(
              .notFound, "no artifact '\(name)' to push", hint: "list artifacts with 'art ls'")
          }
          return name
        }
      }
      let start = ContinuousClock.now
      let chosen = names
      let result = try await withProgress(
        "push", unit: "packs", quiet: global.quiet, output: output
      ) {
        try await remote.push(artifacts: chosen, progress: $0)
      }
      let seconds = secondsSince(start)
      let changes = result.changes
      if json {
        return output.line(
          Formatting.document(
            Report(
              remote: remote.name, location: remote.storage.location, packs: result.packs,
              objects: result.objects, bytes: result.bytes, resumedBytes: result.resumedBytes,
              objectsPresent: result.objectsPresent, added: changes.added,
              deleted: changes.deleted, aliases: changes.aliases, journal: result.journal)))
      }
      var line = "pushed to \(remote.name) (\(remote.storage.location)): "
      line +=
        result.packs == 0
        ? "nothing to upload"
        : transferSummary(
          objects: result.objects, packs: result.packs, bytes: result.bytes, seconds: seconds)
      if result.objectsPresent > 0 {
        line += "; \(Formatting.count(result.objectsPresent, "object")) already there"
      }
      if result.resumedBytes > 0 {
        line += "; resumed: \(Formatting.bytes(result.resumedBytes)) had arrived before"
      }
      output.line(line)
      if !changes.added.isEmpty { output.line("  new: " + changes.added.joined(separator: ", ")) }
      if !changes.deleted.isEmpty {
        output.line("  deleted: " + changes.deleted.joined(separator: ", "))
      }
      if !changes.aliases.isEmpty {
        output.line("  aliases: " + changes.aliases.joined(separator: ", "))
      }
      if result.journal > 0 {
        output.line("  journal: \(Formatting.count(result.journal, "new event"))")
      }
    }
  }
}
