import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct TagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "tag",
      abstract: "Add, remove and list tags (many versions may share one).",
      discussion: """
        A tag marks versions, as W&B's tags do: unlike an alias, which \
        names one version at a time, any number of versions may carry the \
        same tag, and a version any number of tags. Tags are not part of the \
        content: a version's id never changes. log, ls and checkout --match \
        filter by --tag; push and pull carry tags.

        Examples:
          art tag add imagenet:v3 golden reviewed
          art tag rm imagenet:v3 reviewed
          art tag ls imagenet
          art log imagenet --tag golden
        """,
      subcommands: [Add.self, Remove.self, List.self])

    /// One version's tags, under `--json`.
    struct Line: Encodable {
      var artifact: String
      var version: String
      var id: String
      var tags: [String]
    }

    struct Add: ArtSubcommand {
      static let printsSummary = true
      static let configuration = CommandConfiguration(
        abstract: "Add tags to the version SPEC names.")

      @OptionGroup var global: GlobalOptions

      @Argument(
        help: "The version: NAME, NAME:vN, NAME:ALIAS or an id prefix.", completion: Completion.spec
      )
      var spec: String

      @Argument(help: "The tags.")
      var tags: [String]

      @Flag(help: "Print the result as JSON.")
      var json = false

      func execute(output: Output) async throws {
        try change(spec, adding: tags, removing: [], json: json, output: output)
      }
    }

    struct Remove: ArtSubcommand {
      static let printsSummary = true
      static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove tags from the version SPEC names.")

      @OptionGroup var global: GlobalOptions

      @Argument(
        help: "The version: NAME, NAME:vN, NAME:ALIAS or an id prefix.", completion: Completion.spec
      )
      var spec: String

      @Argument(help: "The tags.")
      var tags: [String]

      @Flag(help: "Print the result as JSON.")
      var json = false

      func execute(output: Output) async throws {
        try change(spec, adding: [], removing: tags, json: json, output: output)
      }
    }

    struct List: ArtSubcommand {
      static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List the tagged versions, of one artifact or all.")

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The artifact.", completion: Completion.artifact)
      var name: String?

      @Flag(help: "Print the result as JSON.")
      var json = false

      func execute(output: Output) async throws {
        let repository = try repository()
        let refs = try repository.refs.read()
        let log = try repository.journal()
        let artifacts = try name.map { [try ArtifactName($0)] } ?? refs.artifacts
        if name != nil, let artifact = artifacts.first {
          _ = try repository.resolve(.label(artifact, nil), in: refs)  // names what exists if not
        }
        let lines = log.tagged(artifacts, in: refs).map {
          Line(artifact: $0.artifact.text, version: "\($0.number)", id: $0.id.hex, tags: $0.tags)
        }
        if json { return output.line(Formatting.document("versions", lines)) }
        for line in lines {
          output.line(
            "\(line.artifact):\(line.version) \(line.id.prefix(12)) "
              + line.tags.joined(separator: ", "))
        }
      }
    }
  }
}

extension ArtSubcommand {
  /// `tag add` and `tag rm`: changes the tags, prints what the version carries now.
  fileprivate func change(
    _ spec: String, adding add: [String], removing remove: [String], json: Bool, output: Output
  ) throws {
    let repository = try repository()
    let editor = JournalEditor(
      repository: repository, refStore: refStore(repository, output: output))
    let version = try editor.tag(
      try Spec(spec), adding: try add.map { try Tag($0) }, removing: try remove.map { try Tag($0) })
    let tags = version.journal.tags
    if json {
      return output.line(
        Formatting.document(
          ArtCommand.TagCommand.Line(
            artifact: version.artifact.text, version: "\(version.number)", id: version.id.hex,
            tags: tags)))
    }
    output.line("\(version.label) tags: \(tags.isEmpty ? "(none)" : tags.joined(separator: ", "))")
  }
}
