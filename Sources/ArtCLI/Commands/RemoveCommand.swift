import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct RemoveCommand: ArtSubcommand {
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

    @Argument(help: "The version: NAME:vN, NAME:ALIAS or an id prefix.")
    var spec: String

    @Flag(help: "Remove it even if it carries a protected alias.")
    var force = false

    func execute(output: Output) async throws {
      let repository = try repository()
      let spec = try Spec(spec)
      let message = try refStore(repository, output: output).update { refs -> String in
        // From the refs alone: a version whose record is in a missing pack
        // can still be removed.
        let (id, artifact) = try repository.versionID(spec, in: refs)
        guard let number = refs.number(of: id, in: artifact) else {
          throw ArtError(.notFound, "'\(spec)' names no live version")
        }
        let label = "\(artifact):\(number)"
        let aliases = refs.aliases(of: artifact, at: id)
        let protected = aliases.filter {
          repository.configuration.protectedAliases.contains($0.text)
        }
        if !protected.isEmpty && !force {
          throw ArtError(
            .invalidArgument,
            "\(label) carries the protected alias \(protected.map(\.text).joined(separator: ", "))",
            hint: "move the alias first, or use --force")
        }
        refs[RefName(artifact, .version(number))] = .deleted
        for alias in aliases { refs[RefName(artifact, .alias(alias))] = nil }
        var note = "removed \(label)"
        if aliases.contains(.latest) {
          if let newest = refs.versions(of: artifact).last {
            refs[RefName(artifact, .alias(.latest))] = .version(newest.id)
            note += "; latest is now \(newest.number)"
          } else {
            note += "; '\(artifact)' has no versions left"
          }
        }
        return note
      }
      output.line(message)
    }
  }
}
