import ArgumentParser
import ArtCore
import ArtStore
import SystemPackage

extension ArtCommand {
  struct VerifyCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "verify",
      abstract: "Check a version's reference entries, or a folder, against what it recorded.",
      discussion: """
        Each reference is checked without downloading it: a file by its size \
        and SHA-256, a URL by a HEAD request (size, ETag or Last-Modified). \
        Prints one line per reference that changed or cannot be reached \
        (all of them with -v). Exit 0 when every reference matches, 3 when \
        one changed, 1 when one cannot be reached.

        With --folder DIR, checks that DIR holds exactly the version (as \
        W&B's verify(root)): every file is hashed and compared, bundle \
        entries as the versions they hold, reference entries with their \
        recorded SHA-256 or size. Lists each path missing, changed or extra \
        and exits 3 when there is one.

        Examples:
          art verify imagenet_raw
          art verify bundle:production --json
          art verify imagenet_train:v3 --folder /data/imagenet
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(
      help: "The version: NAME, NAME:vN, NAME:ALIAS or an id prefix.", completion: Completion.spec)
    var spec: String

    @Flag(name: .shortAndLong, help: "List every reference, matching ones too.")
    var verbose = false

    @Option(help: "Check that this folder holds exactly the version.")
    var folder: String?

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

    struct FolderReport: Encodable {
      var version: String
      var folder: String
      var matched: Int
      var differences: [FolderDifference]
    }

    func execute(output: Output) async throws {
      let here = try repository()
      let trust = try ReferenceTrust(here)
      let located = try await locate(spec, in: here)
      if let folder {
        return try await verify(
          located, in: here, folder: try global.resolve(folder), output: output)
      }
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
        output.line(Formatting.document(report))
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

    /// `verify --folder`: the folder against the version, exit 3 on a difference.
    private func verify(
      _ located: LocatedVersion, in repository: Repository, folder: FilePath, output: Output
    ) async throws {
      let version = try await bring(located, into: repository, full: true, output: output)
      let (matched, differences) = try await FolderVerifier.verify(
        version, folder: folder, in: repository)
      if json {
        output.line(
          Formatting.document(
            FolderReport(
              version: located.label, folder: folder.string, matched: matched,
              differences: differences)))
      } else {
        for difference in differences {
          output.line("\(difference.kind.rawValue)  \(difference.path)")
        }
        output.line(
          "\(folder) "
            + (differences.isEmpty
              ? "matches \(located.label) (\(Formatting.count(matched, "path")))"
              : "differs from \(located.label): "
                + "\(differences.count { $0.kind == .missing }) missing, "
                + "\(differences.count { $0.kind == .changed }) changed, "
                + "\(differences.count { $0.kind == .extra }) extra"))
      }
      if !differences.isEmpty { throw ExitCode(ExitStatus.referenceChanged.rawValue) }
    }
  }
}
