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
      static let configuration = CommandConfiguration(
        abstract: "Point ALIAS at the version SPEC names.")

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The version: NAME:vN, NAME:ALIAS or an id prefix.")
      var spec: String

      @Argument(help: "The alias.")
      var alias: String

      func execute(output: Output) async throws {
        let repository = try repository()
        let alias = try Alias(alias)
        guard alias != .latest else { throw latestIsManaged() }
        let spec = try Spec(spec)
        let moved = try refStore(repository, output: output).update { refs -> String in
          let version = try repository.resolve(spec, in: refs)
          let name = RefName(version.artifact, .alias(alias))
          var from = ""
          if case .version(let old) = refs[name], old != version.id,
            let number = refs.versions(of: version.artifact).first(where: { $0.id == old })?.number
          {
            from = " (was \(number))"
          }
          refs[name] = .version(version.id)
          return "\(version.artifact):\(alias) -> \(version.number)\(from)"
        }
        output.line(moved)
      }
    }

    struct Remove: ArtSubcommand {
      static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove the alias NAME:ALIAS.")

      @OptionGroup var global: GlobalOptions

      @Argument(help: "NAME:ALIAS")
      var name: String

      func execute(output: Output) async throws {
        let repository = try repository()
        let ref = try RefName(parsing: name)
        guard case .alias(let alias) = ref.label else {
          throw ArtError(
            .invalidArgument, "'\(name)' names a version, not an alias",
            hint: "to remove a version use 'art rm \(name)'")
        }
        guard alias != .latest else { throw latestIsManaged() }
        try refStore(repository, output: output).update { refs in
          guard refs[ref] != nil else {
            let aliases = refs.aliases(of: ref.artifact).map(\.alias.text)
            throw ArtError(
              .notFound,
              "'\(ref.artifact)' has no alias '\(alias)' (aliases: \(aliases.joined(separator: ", ")))"
            )
          }
          refs[ref] = nil
        }
        output.line("removed \(ref)")
      }
    }

    struct List: ArtSubcommand {
      static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List aliases, of one artifact or all.")

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The artifact.")
      var name: String?

      func execute(output: Output) async throws {
        let repository = try repository()
        let refs = try repository.refs.read()
        let artifacts = try name.map { [try ArtifactName($0)] } ?? refs.artifacts
        for artifact in artifacts {
          let versions = refs.versions(of: artifact)
          for (alias, id) in refs.aliases(of: artifact) {
            let number = versions.first { $0.id == id }.map { "\($0.number)" } ?? "?"
            output.line("\(artifact):\(alias) \(number) \(id.prefix(12))")
          }
        }
      }
    }
  }
}

func latestIsManaged() -> ArtError {
  ArtError(
    .invalidArgument, "'latest' is moved by art to every new version and cannot be set by hand",
    hint: "use another alias, such as 'production'")
}
