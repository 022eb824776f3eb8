import ArgumentParser
import ArtCore
import ArtStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension ArtCommand {
  struct Log: ArtSubcommand {
    static let configuration = CommandConfiguration(
      abstract: "List artifacts, or the versions of one artifact.",
      discussion: """
        Without NAME: one line per artifact (name, type, versions, latest, \
        size of the latest). With NAME: its versions, newest first (version, \
        id, aliases, created, files, size, description).

        Examples:
          art log
          art log imagenet_train -n 5
          art log imagenet_train --json
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The artifact to list.")
    var name: String?

    @Option(name: .customShort("n"), help: "Show at most N versions.")
    var limit: Int?

    @Flag(help: "Print as JSON.")
    var json = false

    struct ArtifactLine: Encodable {
      var name: String
      var type: String
      var versions: Int
      var latest: String
      var files: UInt64
      var bytes: UInt64
      var references: UInt64
      var referenceBytes: UInt64
    }

    struct VersionLine: Encodable {
      var version: String
      var id: String
      var aliases: [String]
      var created: String
      var files: UInt64
      var bytes: UInt64
      var references: UInt64
      var referenceBytes: UInt64
      var description: String
    }

    /// `, 2 references (1.2 GB outside the store)`, or nothing.
    static func referenceText(_ count: UInt64, _ bytes: UInt64) -> String {
      guard count > 0 else { return "" }
      return ", \(Formatting.count(Int(count), "reference")) "
        + "(\(Formatting.bytes(bytes)) outside the store)"
    }

    func validate() throws {
      if let limit, limit < 1 { throw ValidationError("-n must be at least 1") }
    }

    func execute(output: Output) async throws {
      var repository = try repository()
      var name = self.name
      // PROJECT/NAME, or PROJECT/ for every artifact of a project.
      if let text = name, let slash = text.firstIndex(of: "/") {
        let project = String(text[..<slash])
        let output = Output.current
        repository = try repository.project(
          project,
          lock: Repository.LockRequest(
            .shared, command: "art log (from another project)",
            timeout: .seconds(max(0, global.lockTimeout)), report: { output.note($0) }))
        let rest = text[text.index(after: slash)...]
        name = rest.isEmpty ? nil : String(rest)
      }
      let refs = try repository.refs.read()
      guard let name else {
        var lines: [ArtifactLine] = []
        for artifact in refs.artifacts {
          let versions = refs.versions(of: artifact)
          guard !versions.isEmpty,
            case .version(let id) = refs[RefName(artifact, .alias(.latest))]
          else { continue }
          let latest = try repository.loadVersion(id, artifact: artifact)
          lines.append(
            ArtifactLine(
              name: artifact.text, type: latest.record.type, versions: versions.count,
              latest: "\(latest.number)", files: latest.record.files, bytes: latest.record.size,
              references: latest.record.referenceCount,
              referenceBytes: latest.record.referenceBytes))
        }
        if json { return output.line(Formatting.json(lines)) }
        if lines.isEmpty {
          return output.line("no artifacts yet (make one with 'art commit NAME PATH')")
        }
        let width = lines.map(\.name.count).max() ?? 0
        for line in lines {
          output.line(
            line.name + String(repeating: " ", count: width - line.name.count)
              + "  \(line.type)  \(Formatting.count(line.versions, "version")), latest \(line.latest), "
              + "\(Formatting.count(Int(line.files), "file")), \(Formatting.bytes(line.bytes))"
              + Self.referenceText(line.references, line.referenceBytes))
        }
        return
      }
      let artifact = try ArtifactName(name)
      _ = try repository.resolve(.label(artifact, nil), in: refs)  // names what exists if not
      var lines: [VersionLine] = []
      for (number, id) in refs.versions(of: artifact).reversed().prefix(limit ?? Int.max) {
        let version = try repository.loadVersion(id, artifact: artifact)
        lines.append(
          VersionLine(
            version: "\(number)", id: id.hex,
            aliases: refs.aliases(of: artifact, at: id).map(\.text),
            created: Formatting.time(version.record.created), files: version.record.files,
            bytes: version.record.size, references: version.record.referenceCount,
            referenceBytes: version.record.referenceBytes, description: version.record.description))
      }
      if json { return output.line(Formatting.json(lines)) }
      for line in lines {
        let aliases = line.aliases.isEmpty ? "" : " (\(line.aliases.joined(separator: ", ")))"
        let description = line.description.isEmpty ? "" : "  \(line.description)"
        output.line(
          "\(line.version)  \(line.id.prefix(12))\(aliases)  \(line.created)  "
            + "\(Formatting.count(Int(line.files), "file")), \(Formatting.bytes(line.bytes))"
            + Self.referenceText(line.references, line.referenceBytes) + description)
      }
    }
  }
}
