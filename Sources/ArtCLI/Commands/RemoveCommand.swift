import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct RemoveCommand: ArtSubcommand {
    static let printsSummary = true

    static let configuration = CommandConfiguration(
      commandName: "rm",
      abstract: "Remove a version (its data goes at the next gc).",
      discussion: """
        Deletes the version's refs and its aliases; if it was the latest, \
        'latest' moves to the newest remaining version. Its number is never \
        reused. A version carrying a protected alias (production and best \
        unless aliases.protected in .art/config says otherwise) needs --force.

        Examples:
          art rm imagenet_train:v2
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(
      help: "The version: NAME:vN, NAME:ALIAS or an id prefix.", completion: Completion.spec)
    var spec: String

    @Flag(help: "Remove it even if it carries a protected alias.")
    var force = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Report: Encodable {
      var artifact: String
      var removed: String
      var aliases: [String]
      /// Where latest moved, when it was the version removed.
      var latest: String?
      var artifactEmpty: Bool
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let spec = try Spec(spec)
      let removal = try RefEditor(
        repository: repository, refStore: refStore(repository, output: output)
      ).remove(spec, force: force)
      if json {
        return output.line(
          Formatting.document(
            Report(
              artifact: removal.artifact.text, removed: removal.label,
              aliases: removal.aliases.map(\.text), latest: removal.newLatest.map { "\($0)" },
              artifactEmpty: removal.artifactEmpty)))
      }
      var message = "removed \(removal.label)"
      if let latest = removal.newLatest {
        message += "; latest is now \(latest)"
      } else if removal.artifactEmpty {
        message += "; '\(removal.artifact)' has no versions left"
      }
      output.line(message)
    }
  }
}
