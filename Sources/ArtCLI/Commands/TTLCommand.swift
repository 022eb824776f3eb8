import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct TTLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "ttl",
      abstract: "Set or clear the time-to-live of a version.",
      subcommands: [Set.self])

    struct Set: ArtSubcommand {

      static let printsSummary = true

      static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Make a version expire DURATION after it was created, or never ('none').",
        discussion: """
          An expired version is dropped by the next 'art gc' unless it \
          carries a protected alias or is an input of a kept version.

          Examples:
            art ttl set checkpoints:v3 30d
            art ttl set checkpoints:v3 none
          """)

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The version.", completion: Completion.spec)
      var spec: String

      @Argument(help: "A duration (90s, 12h, 30d, 2w, 1y) from the version's creation, or 'none'.")
      var duration: String

      @Flag(help: "Print the result as JSON.")
      var json = false

      func execute(output: Output) async throws {
        let repository = try repository()
        let spec = try Spec(spec)
        let ttl = duration == "none" ? nil : try DurationText.milliseconds(duration)
        let (version, expiry) = try ExpiryOverrides.setTimeToLive(
          ttl, of: spec, in: repository, refStore: refStore(repository, output: output))
        if json {
          struct Report: Encodable {
            var version: String
            var id: String
            /// RFC 3339; absent when it never expires.
            var expires: String?
          }
          return output.line(
            Formatting.document(
              Report(
                version: version.label, id: version.id.hex,
                expires: expiry.map(Formatting.timestamp))))
        }
        output.line(
          expiry.map { "\(version.label) expires \(Formatting.timestamp($0))" }
            ?? "\(version.label) never expires")
      }
    }
  }
}
