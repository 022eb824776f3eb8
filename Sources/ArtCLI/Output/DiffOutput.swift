import ArgumentParser
import ArtCore
import ArtStore
import SystemPackage

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
        newSize: change.newSize, reference: change.pointsOutsideTree ? true : nil,
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
      if change.pointsOutsideTree {
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

extension ArtCommand.DiffCommand {
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
    for change in changes where change.kind == .modified && !change.pointsOutsideTree {
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
        scratch: repository.layout.scratch("rows"))
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
