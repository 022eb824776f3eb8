import ArgumentParser
import ArtCore
import ArtRemote
import ArtStore
import Foundation
import SystemPackage

extension ArtCommand {
  struct RemoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "remote",
      abstract: "Name the S3 buckets and shared folders this repository pushes to.",
      discussion: """
        Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY \
        (and AWS_SESSION_TOKEN), or AWS_PROFILE with ~/.aws/credentials; \
        they are never written to .art/config. The endpoint defaults to \
        AWS_ENDPOINT_URL, else AWS S3 in the region (AWS_REGION, else \
        us-east-1).

        Examples:
          art remote add origin s3://ml-data/vision --endpoint http://127.0.0.1:8333
          art remote add backup /mnt/shared/art-vision
          art push origin
        """,
      subcommands: [Add.self, List.self, Remove.self])

    struct Add: ArtSubcommand {

      static let printsSummary = true

      static let configuration = CommandConfiguration(
        abstract: "Add remote NAME at s3://BUCKET/PREFIX or a folder.")

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The remote's name (letters, digits, '.', '_', '-').")
      var name: String

      @Argument(help: "s3://BUCKET/PREFIX, or a folder on a shared disk.")
      var url: String

      @Option(
        help: "The S3 endpoint, e.g. http://127.0.0.1:8333 (default: AWS_ENDPOINT_URL or AWS).")
      var endpoint: String?

      @Option(help: "The S3 region (default: AWS_REGION, else us-east-1).")
      var region: String?

      @Flag(help: "Print the result as JSON.")
      var json = false

      func execute(output: Output) async throws {
        let repository = try repository()
        let spec = try remoteSpec(url, endpoint: endpoint, region: region)
        try repository.addRemote(name, spec)
        if json {
          return output.line(
            Formatting.document(NamedPlace(name: name, location: spec.url, change: "added")))
        }
        output.line("added remote \(name) at \(spec.url)")
      }
    }

    struct List: ArtSubcommand {
      static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List remotes.")

      @OptionGroup var global: GlobalOptions

      @Flag(help: "Print as JSON.")
      var json = false

      struct Line: Encodable {
        var name: String
        var url: String
        var endpoint: String?
        var region: String?
      }

      func execute(output: Output) async throws {
        let repository = try repository()
        let lines = repository.configuration.remotes.sorted { $0.key < $1.key }.map {
          Line(
            name: $0.key, url: $0.value.url, endpoint: $0.value.endpoint, region: $0.value.region)
        }
        if json { return output.line(Formatting.document("remotes", lines)) }
        if lines.isEmpty { output.line("no remotes (add one with 'art remote add NAME URL')") }
        for line in lines {
          output.line(
            "\(line.name)\t\(line.url)" + (line.endpoint.map { "\t\($0)" } ?? "")
              + (line.region.map { "\t\($0)" } ?? ""))
        }
      }
    }

    struct Remove: ArtSubcommand {

      static let printsSummary = true

      static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove a remote (nothing on it is deleted).")

      @OptionGroup var global: GlobalOptions

      @Argument(help: "The remote's name.")
      var name: String

      @Flag(help: "Print the result as JSON.")
      var json = false

      func execute(output: Output) async throws {
        try repository().removeRemote(name)
        if json {
          return output.line(
            Formatting.document(NamedPlace(name: name, location: nil, change: "removed")))
        }
        output.line("removed remote \(name)")
      }
    }
  }
}

/// A remote or project added or removed, under `--json`.
struct NamedPlace: Encodable {
  var name: String
  /// Its URL or folder (when added).
  var location: String?
  /// `added` or `removed`.
  var change: String
}
