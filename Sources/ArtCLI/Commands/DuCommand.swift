import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct DuCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "du",
      abstract: "Show logical and stored size per artifact and version.",
      discussion: """
        For every version: its logical size (the files as checked out), the \
        stored bytes only it references (what dropping it alone would free) \
        and the stored bytes it shares with other versions. Totals are those \
        of the versions listed (with NAME, that artifact's): logical bytes, \
        stored bytes they reference, the deduplication ratio (logical / \
        stored), and what removing them all would free. Pack bytes are the \
        whole repository's, garbage included.

        Examples:
          art du
          art du imagenet_train --json
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Only this artifact.", completion: Completion.artifact)
    var name: String?

    @Flag(help: "Print as JSON.")
    var json = false

    struct VersionLine: Encodable {
      var version: String
      var id: String
      var logical: UInt64
      var unique: UInt64
      var shared: UInt64
    }

    struct Summary: Encodable {
      var versions: [VersionLine]
      var logicalBytes: UInt64
      var referencedBytes: UInt64
      var exclusiveBytes: UInt64
      var packBytes: UInt64
      var deduplicationRatio: Double
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      var only: Set<ArtifactName>? = nil
      if let name {
        let artifact = try ArtifactName(name)
        _ = try repository.resolve(.label(artifact, nil), in: repository.refs.read())
        only = [artifact]
      }
      let report = try DiskUsage.measure(repository, artifacts: only)
      let lines = report.versions.map {
        VersionLine(
          version: $0.version.label, id: $0.version.id.hex, logical: $0.logical, unique: $0.unique,
          shared: $0.shared)
      }
      let ratio =
        report.referencedBytes > 0
        ? Double(report.logicalBytes) / Double(report.referencedBytes) : 0
      if json {
        return output.line(
          Formatting.document(
            Summary(
              versions: lines, logicalBytes: report.logicalBytes,
              referencedBytes: report.referencedBytes, exclusiveBytes: report.exclusiveBytes,
              packBytes: report.packBytes,
              deduplicationRatio: (ratio * 100).rounded() / 100)))
      }
      let width = max(7, lines.map(\.version.count).max() ?? 0)
      func pad(_ text: String, _ count: Int) -> String {
        String(repeating: " ", count: max(0, count - text.count)) + text
      }
      output.line(
        "version" + String(repeating: " ", count: width - 7) + pad("logical", 12)
          + pad("unique", 12) + pad("shared", 12))
      for line in lines {
        output.line(
          line.version + String(repeating: " ", count: width - line.version.count)
            + pad(Formatting.bytes(line.logical), 12) + pad(Formatting.bytes(line.unique), 12)
            + pad(Formatting.bytes(line.shared), 12))
      }
      output.line(
        "\(Formatting.count(lines.count, "version"))\(name.map { " of \($0)" } ?? ""): "
          + "\(Formatting.bytes(report.logicalBytes)) logical, "
          + "\(Formatting.bytes(report.referencedBytes)) stored (dedup \(String(format2: ratio))×), "
          + "\(Formatting.bytes(report.exclusiveBytes)) freed if removed; "
          + "repository packs \(Formatting.bytes(report.packBytes)) with garbage")
    }
  }
}
