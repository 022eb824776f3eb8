import ArgumentParser
import ArtCore
import ArtStore
import SystemPackage

extension ArtCommand {
  struct Diff: ArtSubcommand {
    static let configuration = CommandConfiguration(
      abstract: "Show what changed between two versions, or a version and the folder.",
      discussion: """
        With two specs, compares their trees without descending into folders \
        that are equal in both. With one, compares the version with its root \
        folder on disk (files are hashed). Each line: A added, D removed, \
        M modified (content, type or mode), R renamed (same content, new path).

        Examples:
          art diff imagenet_train:v1 imagenet_train:v2
          art diff imagenet_train --stat
          art diff imagenet_train:v0 imagenet_train --name-status
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The older version (or the only one, to compare with the folder).")
    var spec: String

    @Argument(help: "The newer version.")
    var spec2: String?

    @Flag(help: "Print totals only.")
    var stat = false

    @Flag(help: "Print a status letter and path per change.")
    var nameStatus = false

    @Flag(help: "Print as JSON.")
    var json = false

    func validate() throws {
      if stat && nameStatus { throw ValidationError("give --stat or --name-status, not both") }
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let first = try locate(spec, in: repository)
      let changes: [Change]
      if let spec2 {
        let second = try locate(spec2, in: repository)
        if first.repository.root == second.repository.root {
          // Both in one repository (this one or the same project): read there.
          changes = try ManifestDiff.between(
            first.version.record.manifest, second.version.record.manifest,
            store: first.repository.store)
        } else {
          // Across projects: the project's version is copied in first.
          let old = try await bring(first, into: repository, full: true, output: output)
          let new = try await bring(second, into: repository, full: true, output: output)
          changes = try ManifestDiff.between(
            old.record.manifest, new.record.manifest, store: repository.store)
        }
      } else {
        let old = try await bring(first, into: repository, full: true, output: output)
        changes = try await workingChanges(old, repository: repository)
      }
      DiffOutput(changes: changes, labels: try versionLabels(repository)).print(
        to: output, json: json, stat: stat, nameStatus: nameStatus)
    }
  }

  struct Status: ArtSubcommand {
    static let configuration = CommandConfiguration(
      abstract: "Show what differs in each artifact's root folder from its latest version.",
      discussion: """
        Examples:
          art status
          art status imagenet_train
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Only this artifact.")
    var name: String?

    @Flag(help: "Print as JSON.")
    var json = false

    struct Report: Encodable {
      var artifact: String
      var version: String
      var root: String
      var changes: [DiffOutput.Line]
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let refs = try repository.refs.read()
      let artifacts = try name.map { [try ArtifactName($0)] } ?? refs.artifacts
      var reports: [Report] = []
      for artifact in artifacts {
        guard case .version = refs[RefName(artifact, .alias(.latest))] else {
          if name != nil { _ = try repository.resolve(.label(artifact, nil), in: refs) }
          continue
        }
        let latest = try repository.resolve(.label(artifact, nil), in: refs)
        let changes = try await workingChanges(latest, repository: repository)
        reports.append(
          Report(
            artifact: artifact.text, version: "\(latest.number)",
            root: latest.record.root.isEmpty ? "." : latest.record.root,
            changes: DiffOutput(changes: changes).lines))
      }
      if json { return output.line(Formatting.json(reports)) }
      if reports.isEmpty { output.line("no artifacts yet (make one with 'art commit NAME PATH')") }
      for report in reports {
        let state =
          report.changes.isEmpty ? "clean" : Formatting.count(report.changes.count, "change")
        output.line("\(report.artifact) (\(report.version), root \(report.root)): \(state)")
        for line in report.changes { output.line("  " + line.text) }
      }
    }
  }
}

/// The changes from a version to its root folder on disk.
func workingChanges(_ version: ResolvedVersion, repository: Repository) async throws -> [Change] {
  var stored = try ManifestDiff.flatten(version.record.manifest, store: repository.store)
  // References live outside the folder's content: a commit carries them
  // forward without reading the folder, so status leaves them out.
  let references = Set(stored.filter { $0.value.kind.isReference }.keys)
  for path in references { stored[path] = nil }
  let root = repository.root.pushing(FilePath(version.record.root)).lexicallyNormalized()
  guard Syscalls.isDirectory(root) else {
    throw ArtError(
      .notFound, "the root folder '\(root)' of \(version.label) does not exist",
      hint: "restore it with 'art checkout \(version.label)'")
  }
  // A version committed from several paths at the repository's top tracks
  // only its own top-level names there.
  let topLevel =
    version.record.root.isEmpty
    ? Set(try repository.store.manifest(version.record.manifest).entries.map(\.name)) : nil
  let working = try await WorkingTree.flatten(
    root, topLevel: topLevel, chunking: repository.configuration.chunking,
    statCache: StatCache(repository: repository), skipping: references)
  return ManifestDiff.between(stored, working)
}

/// How diff and status print changes.
struct DiffOutput {
  let changes: [Change]
  /// Labels (`name:vN`) of versions bundle entries point at.
  var labels: [ObjectID: String] = [:]

  struct Line: Encodable {
    var status: String
    var path: String
    var oldPath: String?
    var oldSize: UInt64?
    var newSize: UInt64?
    /// Present (true) for reference entries: bytes outside the store.
    var reference: Bool?
    /// For a bundle entry: `art:name:vN` and the version id.
    var target: String?
    var targetID: String?
    var text: String {
      let sizes: String
      switch (oldSize, newSize) {
      case (let a?, let b?) where a != b:
        sizes = "(\(Formatting.bytes(a)) -> \(Formatting.bytes(b)))"
      case (let a?, _): sizes = "(\(Formatting.bytes(a)))"
      case (nil, let b?): sizes = "(\(Formatting.bytes(b)))"
      case (nil, nil): sizes = ""
      }
      let name = oldPath.map { "\($0) -> \(path)" } ?? path
      let marker =
        target.map { "  [reference \($0) \(targetID?.prefix(12) ?? "")]" }
        ?? (reference == true ? "  [reference]" : "")
      return "\(status)  \(name)  \(sizes)" + marker
    }
  }

  struct Totals: Encodable {
    var added = 0
    var removed = 0
    var modified = 0
    var renamed = 0
    var bytesAdded: UInt64 = 0
    var bytesRemoved: UInt64 = 0
    /// Changed paths that are reference entries (counted above, but not
    /// in the bytes: those are outside the store).
    var references = 0
  }

  struct Report: Encodable {
    var changes: [Line]
    var totals: Totals
  }

  var lines: [Line] {
    changes.map { change in
      let letter: String
      switch change.kind {
      case .added: letter = "A"
      case .removed: letter = "D"
      case .modified: letter = "M"
      case .renamed: letter = "R"
      }
      return Line(
        status: letter, path: change.path, oldPath: change.oldPath, oldSize: change.oldSize,
        newSize: change.newSize, reference: change.isReference ? true : nil,
        target: change.version.map { "art:" + (labels[$0] ?? String($0.hex.prefix(12))) },
        targetID: change.version?.hex)
    }
  }

  var totals: Totals {
    var totals = Totals()
    for change in changes {
      switch change.kind {
      case .added: totals.added += 1
      case .removed: totals.removed += 1
      case .modified: totals.modified += 1
      case .renamed: totals.renamed += 1
      }
      if change.isReference {
        totals.references += 1
      } else if change.kind != .renamed {
        totals.bytesAdded += change.newSize ?? 0
        totals.bytesRemoved += change.oldSize ?? 0
      }
    }
    return totals
  }

  func print(to output: Output, json: Bool, stat: Bool, nameStatus: Bool) {
    if json { return output.line(Formatting.json(Report(changes: lines, totals: totals))) }
    if !stat {
      for line in lines {
        if nameStatus {
          output.line(
            [line.status, line.oldPath, line.path].compactMap { $0 }.joined(separator: "\t"))
        } else {
          output.line(line.text)
        }
      }
    }
    if stat || lines.isEmpty {
      let t = totals
      output.line(
        "\(t.added) added, \(t.removed) removed, \(t.modified) modified, \(t.renamed) renamed; "
          + "+\(Formatting.bytes(t.bytesAdded)) -\(Formatting.bytes(t.bytesRemoved))"
          + (t.references > 0
            ? " (\(Formatting.count(t.references, "reference")) not counted)" : ""))
    }
  }
}
