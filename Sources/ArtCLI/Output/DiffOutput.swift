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
    /// Permission bits in octal (`755`), before and after, when they changed.
    var oldMode: String?
    var newMode: String?
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
      let modes = oldMode.flatMap { old in newMode.map { "mode \(old) -> \($0)" } }
      return [status, name, sizes, modes].compactMap { $0 }.filter { !$0.isEmpty }
        .joined(separator: "  ") + marker
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
    /// Left out under `--stat` and `--metadata`.
    var changes: [Line]?
    var totals: Totals
    /// Between two versions: the metadata keys that differ.
    var metadata: [MetadataChange]?
  }

  /// Metadata keys that differ (between two versions), printed first.
  var metadata: [MetadataChange]? = nil

  var lines: [Line] {
    changes.map { change in
      let letter: String
      switch change.kind {
      case .added: letter = "A"
      case .removed: letter = "D"
      case .modified: letter = "M"
      case .renamed: letter = "R"
      }
      // Modes compare only between entries of one kind (a file's against a
      // link's says nothing).
      var modeChanged = false
      if let old = change.old, let new = change.new {
        modeChanged = (old.kind == new.kind || (old.isFile && new.isFile)) && old.mode != new.mode
      }
      // A folder's change is its mode alone: its size is its content's.
      let folder = change.old?.kind == .folder && change.new?.kind == .folder
      return Line(
        status: letter, path: change.path, oldPath: change.oldPath,
        oldSize: folder ? nil : change.oldSize, newSize: folder ? nil : change.newSize,
        reference: change.pointsOutsideTree ? true : nil,
        target: change.version.map { "art:" + (labels[$0] ?? String($0.hex.prefix(12))) },
        targetID: change.version?.hex,
        oldMode: modeChanged ? change.old.map { String($0.mode, radix: 8) } : nil,
        newMode: modeChanged ? change.new.map { String($0.mode, radix: 8) } : nil)
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

  /// One line per metadata key that differs: `acc: 0.91 -> 0.93`,
  /// `+ key: value`, `- key: value`.
  func printMetadata(to output: Output) {
    for change in metadata ?? [] {
      switch (change.old, change.new) {
      case (let old?, let new?):
        output.line(
          "  \(change.key): \(Formatting.compactJSON(old)) -> \(Formatting.compactJSON(new))")
      case (nil, let new?): output.line("  + \(change.key): \(Formatting.compactJSON(new))")
      case (let old?, nil): output.line("  - \(change.key): \(Formatting.compactJSON(old))")
      case (nil, nil): continue
      }
    }
  }

  func print(to output: Output, json: Bool, stat: Bool, nameStatus: Bool) {
    if json {
      return output.line(
        Formatting.document(
          Report(changes: stat ? nil : lines, totals: totals, metadata: metadata)))
    }
    if let metadata, !metadata.isEmpty, !nameStatus {
      output.line("metadata:")
      printMetadata(to: output)
      if !stat && !lines.isEmpty { output.line("files:") }
    }
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
