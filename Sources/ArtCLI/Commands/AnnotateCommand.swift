import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct AnnotateCommand: ArtSubcommand {
    static let printsSummary = true
    static let configuration = CommandConfiguration(
      commandName: "annotate",
      abstract: "Change a version's description and metadata (its content stays as it is).",
      discussion: """
        Content is immutable; what is said about it is not. Each annotate \
        is recorded with who and when, so 'art show' lists the history of \
        edits; show, log, diff and the --metadata filters see the current \
        values. A dotted key sets or removes a nested value \
        (aug.rotation=15). Values are typed as commit types them (1 is a \
        number, true a boolean, anything else a string). The version's id \
        never changes; push and pull carry annotations, and the newest \
        edit of a key wins.

        Examples:
          art annotate model:v7 -m "best run so far" --metadata acc=0.93
          art annotate ds:v2 --metadata aug.rotation=15 --unset draft
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(
      help: "The version: NAME, NAME:vN, NAME:ALIAS or an id prefix.", completion: Completion.spec)
    var spec: String

    @Option(name: [.customShort("m"), .customLong("message")], help: "The new description.")
    var message: String?

    @Option(help: "Set KEY=VALUE, repeatable.")
    var metadata: [String] = []

    @Option(
      help: "Set every key of this JSON object file, with its JSON type (before --metadata).")
    var metadataFile: String?

    @Option(help: "Remove a metadata key, repeatable.")
    var unset: [String] = []

    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Report: Encodable {
      var artifact: String
      var version: String
      var id: String
      var description: String
      var metadata: [String: JSONValue]
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let editor = JournalEditor(
        repository: repository, refStore: refStore(repository, output: output))
      var setting: [(String, JSONValue)] = []
      if let file = metadataFile {
        setting = try metadataObject(file).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
      }
      setting += try metadata.map { try Metadata.pair($0) }
      let version = try editor.annotate(
        try Spec(spec), description: message, setting: setting, unsetting: unset)
      let values = try Metadata.parse(
        Array(version.record.metadata.utf8), source: "the metadata of \(version.label)")
      if json {
        return output.line(
          Formatting.document(
            Report(
              artifact: version.artifact.text, version: "\(version.number)", id: version.id.hex,
              description: version.record.description, metadata: values)))
      }
      output.line("annotated \(version.label) \(version.id.prefix(12))")
    }
  }
}
