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

    @Argument(help: "The version: NAME, NAME:vN, NAME:ALIAS or an id prefix.")
    var spec: String

    func execute(output: Output) async throws {
      let repository = try repository()
      output.line(try repository.resolve(Spec(spec), in: repository.refs.read()).id.hex)
    }
  }
}
