import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct MoveCommand: ArtSubcommand {
    static let printsSummary = true
    static let configuration = CommandConfiguration(
      commandName: "mv",
      abstract: "Rename an artifact, with its versions, aliases, tags and lineage.",
      discussion: """
        Versions keep their numbers and ids; aliases, tags, annotations, \
        uses, TTLs, lineage and the root folder's base follow. A name in \
        use — even only by removed versions, whose numbers are never reused \
        — is refused, as is an artifact with a distributed draft open. The \
        rename is recorded, so the next push makes it on the remote and a \
        pull makes it in other clones.

        Examples:
          art mv ds imagenet_train
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The artifact's name.", completion: Completion.artifact)
    var old: String

    @Argument(help: "Its new name.")
    var new: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Report: Encodable {
      var from: String
      var to: String
      var versions: Int
      var aliases: Int
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let (old, new) = (try ArtifactName(old), try ArtifactName(new))
      let moved = try JournalEditor(
        repository: repository, refStore: refStore(repository, output: output)
      ).rename(old, to: new)
      if json {
        return output.line(
          Formatting.document(
            Report(from: old.text, to: new.text, versions: moved.versions, aliases: moved.aliases)))
      }
      output.line(
        "renamed \(old) to \(new): \(Formatting.count(moved.versions, "version")), "
          + "\(moved.aliases) alias\(moved.aliases == 1 ? "" : "es")")
    }
  }
}
