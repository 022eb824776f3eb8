import ArgumentParser
import ArtCore
import ArtStore
import Foundation
import FoundationEssentials

extension ArtCommand {
  struct LogCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "log",
      abstract: "List artifacts, or the versions of one artifact.",
      discussion: """
        Without NAME: one line per artifact (name, type, versions, latest, \
        size of the latest). With NAME: its versions, newest first (version, \
        id, aliases, [tags], created, files, size, description).

        With filters (--type, --name, --alias, --tag, --metadata, --since, \
        --until; all must hold): the matching versions, of NAME or of every \
        artifact, newest first within each artifact.

        Examples:
          art log
          art log imagenet_train -n 5
          art log imagenet_train --json
          art log --metadata year=2024 --metadata 'month>=6'
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The artifact to list.", completion: Completion.artifact)
    var name: String?

    @Option(name: .customShort("n"), help: "Show at most N versions.")
    var limit: Int?

    @OptionGroup var filters: FilterOptions

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
      var artifact: String
      var version: String
      var id: String
      var aliases: [String]
      var tags: [String]
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
      var remoteRefs: Refs? = nil
      // PROJECT/NAME or REMOTE/NAME, or PROJECT/ for every artifact of a project.
      if let text = name, case (let project?, let rest) = try ProjectSpec.split(text) {
        (repository, remoteRefs) = try await locator(repository).place(project)
        name = rest.isEmpty ? nil : rest
      }
      let refs = try remoteRefs ?? repository.refs.read()
      let filter = try filters.filter()
      if name == nil && filter.isEmpty {
        let lines = try Self.artifactLines(repository, refs, filter: filter)
        if json { return output.line(Formatting.document("artifacts", lines)) }
        if lines.isEmpty {
          return output.line("no artifacts yet (make one with 'art commit NAME PATH')")
        }
        Self.print(lines, to: output)
        return
      }
      let artifact = try name.map { try ArtifactName($0) }
      if let artifact {
        _ = try repository.resolve(.label(artifact, nil), in: refs)  // names what exists if not
      }
      let versions = try filter.versions(
        in: repository, refs: refs, artifact: artifact, limit: limit,
        unreadable: Self.unreadable)
      var aliasesByVersion: [ArtifactName: [ObjectID: [Alias]]] = [:]
      let lines = versions.map { version in
        if aliasesByVersion[version.artifact] == nil {
          aliasesByVersion[version.artifact] = refs.aliasesByVersion(of: version.artifact)
        }
        return VersionLine(
          artifact: version.artifact.text, version: "\(version.number)", id: version.id.hex,
          aliases: (aliasesByVersion[version.artifact]?[version.id] ?? []).map(\.text),
          tags: version.journal.tags,
          created: Formatting.timestamp(version.record.created), files: version.record.files,
          bytes: version.record.size, references: version.record.referenceCount,
          referenceBytes: version.record.referenceBytes, description: version.record.description)
      }
      if json { return output.line(Formatting.document("versions", Array(lines))) }
      if lines.isEmpty, !filter.isEmpty { output.line("no version matches") }
      for line in lines {
        let aliases = line.aliases.isEmpty ? "" : " (\(line.aliases.joined(separator: ", ")))"
        let tags = line.tags.isEmpty ? "" : " [\(line.tags.joined(separator: ", "))]"
        let description = line.description.isEmpty ? "" : "  \(line.description)"
        let label = artifact == nil ? "\(line.artifact):\(line.version)" : line.version
        output.line(
          "\(label)  \(line.id.prefix(12))\(aliases)\(tags)  \(line.created)  "
            + "\(Formatting.count(Int(clamping: line.files), "file")), \(Formatting.bytes(line.bytes))"
            + Self.referenceText(line.references, line.referenceBytes) + description)
      }
    }

    /// One line per artifact with a matching version (see
    /// ``VersionFilter/newestPerArtifact(in:refs:unreadable:)``); records
    /// that cannot be read are named on standard error.
    static func artifactLines(_ repository: Repository, _ refs: Refs, filter: VersionFilter)
      throws -> [ArtifactLine]
    {
      try filter.newestPerArtifact(in: repository, refs: refs, unreadable: unreadable).map {
        line($0.newest, $0.count)
      }
    }

    /// Names a version whose record cannot be read, on standard error.
    static func unreadable(_ detail: String) {
      Output.current.note(
        "art: warning: skipped \(detail) (run 'art fsck -v'; 'art fetch' if a remote has it)")
    }

    private static func line(_ newest: ResolvedVersion, _ count: Int) -> ArtifactLine {
      ArtifactLine(
        name: newest.artifact.text, type: newest.record.type, versions: count,
        latest: "\(newest.number)", files: newest.record.files, bytes: newest.record.size,
        references: newest.record.referenceCount, referenceBytes: newest.record.referenceBytes)
    }

    static func print(_ lines: [ArtifactLine], to output: Output) {
      let width = lines.map(\.name.count).max() ?? 0
      for line in lines {
        output.line(
          line.name + String(repeating: " ", count: width - line.name.count)
            + "  \(line.type)  \(Formatting.count(line.versions, "version")), latest \(line.latest), "
            + "\(Formatting.count(Int(clamping: line.files), "file")), \(Formatting.bytes(line.bytes))"
            + referenceText(line.references, line.referenceBytes))
      }
    }
  }
}
