import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct VerifyCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "verify",
      abstract: "Check that a version's reference entries still match their external data.",
      discussion: """
        Each reference is checked without downloading it: a file by its size \
        and SHA-256, a URL by a HEAD request (size, ETag or Last-Modified). \
        Prints one line per reference that changed or cannot be reached \
        (all of them with -v). Exit 0 when every reference matches, 3 when \
        one changed, 1 when one cannot be reached.

        Examples:
          art verify imagenet_raw
          art verify bundle:production --json
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The version: NAME, NAME:vN, NAME:ALIAS or an id prefix.")
    var spec: String

    @Flag(name: .shortAndLong, help: "List every reference, matching ones too.")
    var verbose = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Line: Encodable {
      var path: String
      var uri: String
      /// `unchanged`, `changed`, `unavailable` or `refused`.
      var status: String
      var detail: String?
    }

    struct Report: Encodable {
      var version: String
      var references: [Line]
      var unchanged: Int
      var changed: Int
      var unavailable: Int
      var refused: Int
    }

    func execute(output: Output) async throws {
      let here = try repository()
      let trust = try ReferenceTrust(here)
      let located = try await locate(spec, in: here)
      let lines = try await ReferenceVerifier.verify(
        located.version, in: located.repository, trust: trust
      ).map { Line(path: $0.path, uri: $0.uri, status: $0.status.rawValue, detail: $0.detail) }
      let report = Report(
        version: located.label, references: lines,
        unchanged: lines.count { $0.status == "unchanged" },
        changed: lines.count { $0.status == "changed" },
        unavailable: lines.count { $0.status == "unavailable" },
        refused: lines.count { $0.status == "refused" })
      if json {
        output.line(Formatting.json(report))
      } else {
        for line in lines where verbose || line.status != "unchanged" {
          output.line(
            "\(line.status)  \(line.path)  \(line.uri)" + (line.detail.map { "  (\($0))" } ?? ""))
        }
        output.line(
          "\(located.label): \(Formatting.count(lines.count, "reference")); "
            + "\(report.unchanged) unchanged, \(report.changed) changed, "
            + "\(report.unavailable) unavailable"
            + (report.refused > 0 ? ", \(report.refused) refused (see [references] allow)" : ""))
      }
      if report.changed > 0 || report.refused > 0 {
        throw ExitCode(ExitStatus.referenceChanged.rawValue)
      }
      if report.unavailable > 0 { throw ExitCode(ExitStatus.failure.rawValue) }
    }
  }
}
