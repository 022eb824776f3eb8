import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct AliasCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "alias",
      abstract: "Set, remove and list aliases (production, best, …).",
      discussion: """
        An alias names one version of an artifact at a time; setting it \
        moves it. 'latest' is moved by art to every new version and cannot \
        be set or removed by hand.

        Examples:
          art alias set imagenet_train:v3 production
          art alias rm imagenet_train:production
          art alias ls imagenet_train
        """,
      subcommands: [Set.self, Remove.self, List.self])

    struct Set: ArtSubcommand {

      static let printsSummary = true

      static let configuration = CommandConfiguration(
        abstract: "Point ALIAS at the version SPEC names.")

      @OptionGroup var global: GlobalOptions

      @Argument(
        help: "The version: NAME:vN, NAME:ALIAS or an id prefix.", completion: Completion.spec)
      var spec: String

      @Argument(help: "The alias.")
      var alias: String

      @Flag(help: "Print the result as JSON.")
      var json = false

      func execute(output: Output) async throws {
        let repository = try repository()
        let alias = try Alias(alias)
        let (version, previous) = try RefEditor(
          repository: repository, refStore: refStore(repository, output: output)
        ).setAlias(alias, to: try Spec(spec))
        if json {
          return output.line(
            Formatting.document(
              AliasLine(
                artifact: version.artifact.text, alias: alias.text,
                version: "\(version.number)", id: version.id.hex,
                previous: previous.map { "\($0)" })))
        }
        output.line(
          "\(version.artifact):\(alias) -> \(version.number)"
            + (previous.map { " (was \($0))" } ?? ""))
      }
    }

    struct Remove: ArtSubcommand {

      static let printsSummary = true

      static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove the alias NAME:ALIAS.")

      @OptionGroup var global: GlobalOptions

      @Argument(help: "NAME:ALIAS", completion: Completion.spec)
      var name: String

      @Flag(help: "Print the result as JSON.")
      var json = false

      func execute(output: Output) async throws {
        let repository = try repository()
        let ref = try RefName(parsing: name)
        try RefEditor(repository: repository, refStore: refStore(repository, output: output))
          .removeAlias(ref)
        if json {
          struct Report: Encodable {
            var removed: String
          }
          return output.line(Formatting.document(Report(removed: "\(ref)")))
        }
        output.line("removed \(ref)")
      }
    }

    struct List: ArtSubcommand {
      static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List aliases, of one artifact or all.")

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The artifact.", completion: Completion.artifact)
      var name: String?

      @Flag(help: "Print the result as JSON.")
      var json = false

      func execute(output: Output) async throws {
        let repository = try repository()
        let refs = try repository.refs.read()
        let artifacts = try name.map { [try ArtifactName($0)] } ?? refs.artifacts
        var lines: [AliasLine] = []
        for artifact in artifacts {
          let versions = refs.versions(of: artifact)
          for (alias, id) in refs.aliases(of: artifact) {
            let number = versions.first { $0.id == id }.map { "\($0.number)" } ?? "?"
            lines.append(
              AliasLine(artifact: artifact.text, alias: alias.text, version: number, id: id.hex))
          }
        }
        if json { return output.line(Formatting.document("aliases", lines)) }
        for line in lines {
          output.line("\(line.artifact):\(line.alias) \(line.version) \(line.id.prefix(12))")
        }
      }
    }
  }
}

/// An alias and the version it names, under `--json`.
struct AliasLine: Encodable {
  var artifact: String
  var alias: String
  var version: String
  var id: String
  /// The version it named before (`alias set`).
  var previous: String? = nil
}
