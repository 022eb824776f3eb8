import ArgumentParser
import ArtCore
import ArtStore
import SystemPackage

extension ArtCommand {
  struct DiffCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "diff",
      abstract: "Show what changed between two versions, or a version and the folder.",
      discussion: """
        With two specs, compares their trees without descending into folders \
        that are equal in both. With one, compares the version with its root \
        folder on disk (files are hashed); with a SPEC and a FOLDER (a path \
        with a '/'), the version with that folder. Each line: A added, D \
        removed, M modified (content, type or mode), R renamed (same content, \
        new path). Between two versions, metadata keys that differ come \
        first (acc: 0.91 -> 0.93, + added, - removed; nested keys by dotted \
        path), as DVC's metrics and params diff; --metadata shows only \
        them. --exit-code exits 1 when there is a change of either kind, as \
        git's does.

        Examples:
          art diff imagenet_train:v1 imagenet_train:v2
          art diff imagenet_train --stat
          art diff imagenet_train:v0 imagenet_train --name-status
          art diff imagenet_train:v3 /data/imagenet/ --exit-code
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(
      help: "The older version (or the only one, to compare with the folder).",
      completion: Completion.spec)
    var spec: String

    @Argument(
      help: "The newer version, or a folder (a path with a '/') to compare with.",
      completion: Completion.spec)
    var spec2: String?

    @Flag(help: "Print totals only.")
    var stat = false

    @Flag(help: "Print a status letter and path per change.")
    var nameStatus = false

    @Flag(help: "Print as JSON.")
    var json = false

    @Flag(help: "Exit with status 1 when there are changes, 0 when there are none.")
    var exitCode = false

    @Flag(help: "Between two versions: only the metadata keys that differ.")
    var metadata = false

    @Flag(help: "Compare modified CSV, TSV and JSON Lines files row by row.")
    var rows = false

    @Option(help: "With --rows: the column that identifies a row, repeatable (a compound key).")
    var key: [String] = []

    @Option(help: "With --rows: only files matching this glob (** allowed), repeatable.")
    var path: [String] = []

    @Option(
      name: [.customLong("input-format"), .customLong("format")],
      help: "With --rows: read every compared file as csv, tsv or jsonl.")
    var format: String?

    @Option(help: "With --rows: examples of each kind to show.")
    var limit: Int = 10

    func validate() throws {
      if stat && nameStatus { throw ValidationError("give --stat or --name-status, not both") }
      if metadata && (rows || nameStatus || stat) {
        throw ValidationError(
          "--metadata shows only metadata; leave out --rows, --stat and --name-status")
      }
      if !rows && (!key.isEmpty || !path.isEmpty || format != nil) {
        throw ValidationError("--key, --path and --input-format go with --rows")
      }
      if let format, TableFormat(rawValue: format) == nil {
        throw ValidationError("unknown --input-format '\(format)': use csv, tsv or jsonl")
      }
      if limit < 0 { throw ValidationError("--limit must be 0 or more") }
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let first = try await locate(spec, in: repository)
      let changes: [Change]
      var second: LocatedVersion? = nil
      var folder: FilePath? = nil
      if let spec2, spec2.contains("/"), !spec2.contains(":"),
        Syscalls.isDirectory(try global.resolve(spec2))
      {
        // A folder, not a version.
        let old = try await bring(first, into: repository, full: true, output: output)
        folder = try global.resolve(spec2)
        changes = try await WorkingStatus.changes(old, in: repository, folder: folder)
      } else if let spec2 {
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
        changes = try await WorkingStatus.changes(old, in: repository)
      }
      // Between two versions, their metadata too.
      var metadataChanges: [MetadataChange]? = nil
      if let second {
        metadataChanges = Metadata.changes(
          from: try Metadata.parse(
            Array(first.version.record.metadata.utf8), source: first.label),
          to: try Metadata.parse(Array(second.version.record.metadata.utf8), source: second.label))
      }
      if metadata {
        guard let metadataChanges else {
          throw ArtError(
            .invalidArgument, "--metadata compares two versions",
            hint: "give a second SPEC, e.g. art diff model:v7 model:v8 --metadata")
        }
        try printMetadata(metadataChanges, output: output)
        if exitCode, !metadataChanges.isEmpty {
          output.flush()
          throw ExitCode(1)
        }
        return
      }
      if rows {
        try await rowDiff(
          changes, first: first, second: second, folder: folder, repository: repository,
          output: output)
      } else {
        var printed = DiffOutput(changes: changes, labels: try versionLabels(repository))
        printed.metadata = metadataChanges
        printed.print(to: output, json: json, stat: stat, nameStatus: nameStatus)
      }
      if exitCode, !changes.isEmpty || metadataChanges?.isEmpty == false {
        output.flush()
        throw ExitCode(1)
      }
    }

    /// `--metadata`: the keys that differ, and nothing else.
    private func printMetadata(_ changes: [MetadataChange], output: Output) throws {
      struct Report: Encodable {
        var metadata: [MetadataChange]
      }
      if json { return output.line(Formatting.document(Report(metadata: changes))) }
      if changes.isEmpty { return output.line("no metadata changes") }
      DiffOutput(changes: [], metadata: changes).printMetadata(to: output)
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
    _ changes: [Change], first: LocatedVersion, second: LocatedVersion?, folder: FilePath?,
    repository: Repository, output: Output
  ) async throws {
    var rowDiffs = RowDiffs(limit: limit)
    rowDiffs.patterns = try path.map { try PathPattern($0) }
    rowDiffs.format = format.flatMap { TableFormat(rawValue: $0) }
    rowDiffs.key = key
    func side(_ located: LocatedVersion) -> RowDiffs.Side {
      RowDiffs.Side(
        version: located.version, store: located.repository.store, label: located.label)
    }
    let old = side(first)
    let new = second.map(side)
    let configured = rowDiffs
    let reports = try await withProgress("diff --rows", quiet: global.quiet, output: output) {
      progress in
      var rowDiffs = configured
      rowDiffs.progress = progress
      return try await rowDiffs.run(changes, old: old, new: new, folder: folder, in: repository)
    }
    if json { return output.line(Formatting.document(RowReport(files: reports))) }
    if reports.isEmpty { output.line("no modified CSV, TSV or JSON Lines files") }
    for report in reports { printReport(report, to: output) }
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
