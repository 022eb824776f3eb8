import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct RevParseCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "rev-parse",
      abstract: "Print the full id of the version a spec names.",
      discussion: """
        Examples:
          art rev-parse imagenet_train:production
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(
      help: "The version: NAME, NAME:vN, NAME:ALIAS or an id prefix.", completion: Completion.spec)
    var spec: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    func execute(output: Output) async throws {
      let repository = try repository()
      let version = try repository.resolve(Spec(spec), in: repository.refs.read())
      guard json else { return output.line(version.id.hex) }
      struct Report: Encodable {
        var artifact: String
        var version: String
        var id: String
      }
      output.line(
        Formatting.document(
          Report(artifact: version.artifact.text, version: "\(version.number)", id: version.id.hex))
      )
    }
  }
}
