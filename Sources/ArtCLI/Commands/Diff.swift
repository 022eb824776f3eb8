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

    @Flag(help: "Compare modified CSV, TSV and JSON Lines files row by row.")
    var rows = false

    @Option(help: "With --rows: the column that identifies a row, repeatable (a compound key).")
    var key: [String] = []

    @Option(help: "With --rows: only files matching this glob (** allowed), repeatable.")
    var path: [String] = []

    @Option(help: "With --rows: read every compared file as csv, tsv or jsonl.")
    var format: String?

    @Option(help: "With --rows: examples of each kind to show.")
    var limit: Int = 10

    func validate() throws {
      if stat && nameStatus { throw ValidationError("give --stat or --name-status, not both") }
      if !rows && (!key.isEmpty || !path.isEmpty || format != nil) {
        throw ValidationError("--key, --path and --format go with --rows")
      }
      if let format, TableFormat(rawValue: format) == nil {
        throw ValidationError("unknown --format '\(format)': use csv, tsv or jsonl")
      }
      if limit < 0 { throw ValidationError("--limit must be 0 or more") }
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let first = try await locate(spec, in: repository)
      let changes: [Change]
      var second: LocatedVersion? = nil
      if let spec2 {
        let other = try await locate(spec2, in: repository)
        second = other
        if first.repository.root == other.repository.root {
          // Both in one repository (this one or the same project): read there.
          changes = try ManifestDiff.between(
            first.version.record.manifest, other.version.record.manifest,
            store: first.repository.store)
        } else {
          // Across projects: the project's version is copied in first.
          let old = try await bring(first, into: repository, full: true, output: output)
          let new = try await bring(other, into: repository, full: true, output: output)
          changes = try ManifestDiff.between(
            old.record.manifest, new.record.manifest, store: repository.store)
        }
      } else {
        let old = try await bring(first, into: repository, full: true, output: output)
        changes = try await workingChanges(old, repository: repository)
      }
      if rows {
        return try await rowDiff(
          changes, first: first, second: second,
          repository: repository, output: output)
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

extension ArtCommand.Diff {
  struct RowReport: Encodable {
    var files: [TableDiffReport]
  }

  /// `--rows`: every modified table file, row by row, read from the store
  /// (and, with one SPEC, from the folder).
  func rowDiff(
    _ changes: [Change], first: LocatedVersion, second: LocatedVersion?, repository: Repository,
    output: Output
  ) async throws {
    let patterns = try path.map { try PathPattern($0) }
    let forced = format.flatMap { TableFormat(rawValue: $0) }
    var reports: [TableDiffReport] = []
    for change in changes where change.kind == .modified && !change.isReference {
      guard let tableFormat = forced ?? TableFormat(path: change.path) else { continue }
      if !patterns.isEmpty, !patterns.contains(where: { $0.matches(change.path) }) { continue }
      // The file-level diff already holds both sides' entries.
      let old = try storedFile(change.old, change.path, of: first)
      let new: TableSource
      let newSize: UInt64
      if let second {
        let entry = try storedFile(change.new, change.path, of: second)
        new = .stored(entry.id, second.repository.store)
        newSize = entry.size
      } else {
        let root = repository.root.pushing(FilePath(first.version.record.root))
        new = .file(root.pushing(FilePath(change.path)))
        newSize = change.newSize ?? 0
      }
      let diff = TableDiff(
        path: change.path, format: tableFormat, key: key, limit: limit,
        scratch: repository.directory.appending("tmp-rows-\(Syscalls.processID)"))
      reports.append(
        try await diff.run(
          old: .stored(old.id, first.repository.store), new: new, sizes: (old.size, newSize)))
    }
    if json { return output.line(Formatting.json(RowReport(files: reports))) }
    if reports.isEmpty { output.line("no modified CSV, TSV or JSON Lines files") }
    for report in reports { printReport(report, to: output) }
  }

  /// `entry` when it is a stored file (whole or chunked).
  private func storedFile(_ entry: TreeEntry?, _ path: String, of located: LocatedVersion) throws
    -> TreeEntry
  {
    guard let entry, entry.kind == .file || entry.kind == .chunked else {
      throw ArtError(.notFound, "'\(path)' is not a stored file of \(located.label)")
    }
    return entry
  }

  private func printReport(_ report: TableDiffReport, to output: Output) {
    let matching =
      report.key.isEmpty ? "rows matched by content" : "key " + report.key.joined(separator: ", ")
    output.line("\(report.path) (\(report.format.rawValue), \(matching))")
    if let error = report.error {
      output.line("  cannot compare rows: \(error)")
      return
    }
    let rows = report.rows
    var counts = "\(rows.added) added, \(rows.removed) removed"
    if !report.key.isEmpty { counts += ", \(rows.changed) changed" }
    output.line("  rows: \(rows.old) -> \(rows.new); \(counts), \(rows.unchanged) unchanged")
    let schema = report.schema
    var moves: [String] = []
    if !schema.added.isEmpty { moves.append("added " + schema.added.joined(separator: ", ")) }
    if !schema.removed.isEmpty { moves.append("removed " + schema.removed.joined(separator: ", ")) }
    if schema.reordered { moves.append("reordered") }
    let noun = report.format == .jsonl ? "keys" : "columns"
    if !moves.isEmpty { output.line("  \(noun): " + moves.joined(separator: "; ")) }
    let order = schema.new + schema.removed
    func row(_ values: [String: String]) -> String {
      let text = order.compactMap { column in values[column].map { "\(column)=\($0)" } }
        .joined(separator: ", ")
      return text.count > 160 ? String(text.prefix(160)) + "…" : text
    }
    func keyText(_ key: [String: String]) -> String {
      report.key.map { "\($0)=\(key[$0] ?? "")" }.joined(separator: ", ")
    }
    for example in report.examples.added {
      output.line("  + line \(example.line): \(row(example.values))")
    }
    for example in report.examples.removed {
      output.line("  - line \(example.line): \(row(example.values))")
    }
    for example in report.examples.changed {
      let cells = example.cells.map {
        "\($0.column) \($0.old ?? "(none)") -> \($0.new ?? "(none)")"
      }
      .joined(separator: "; ")
      output.line(
        "  ~ \(keyText(example.key)) (line \(example.oldLine) -> \(example.newLine)): \(cells)")
    }
    if report.duplicateKeyCount > 0 {
      output.line("  \(report.duplicateKeyCount) duplicate key(s):")
      for duplicate in report.duplicateKeys {
        output.line(
          "  ! \(keyText(duplicate.key)) twice in the \(duplicate.version) version "
            + "(lines \(duplicate.lines.map(String.init).joined(separator: ", ")))")
      }
    }
    if report.malformedCount > 0 {
      output.line("  \(report.malformedCount) malformed row(s), left out:")
      for row in report.malformed {
        output.line("  ! \(row.version) line \(row.line): \(row.problem)")
      }
    }
  }
}
