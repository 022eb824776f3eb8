import ArtStore
import Foundation
import SystemPackage

/// Pass-1 output of one side: 32-byte tuples, in memory or in spill files
/// by partition.
final class Spill: @unchecked Sendable {
  private let partitions: Int
  private var memory: [TableDiff.Tuple] = []
  private var files: [FileDescriptor] = []
  private var paths: [FilePath] = []
  private var buffers: [[TableDiff.Tuple]] = []
  private static let flushAt = 2048

  init(partitions: Int, folder: FilePath, name: String) throws {
    self.partitions = partitions
    guard partitions > 1 else { return }
    for index in 0..<partitions {
      let path = folder.appending("\(name)-\(index)")
      do {
        files.append(
          try FileDescriptor.open(
            path, .readWrite, options: [.create, .truncate, .closeOnExec],
            permissions: [.ownerReadWrite]))
      } catch {
        throw ArtError.io("create", path.string, error)
      }
      paths.append(path)
      buffers.append([])
    }
  }

  deinit {
    for fd in files { try? fd.close() }
  }

  func append(_ tuple: TableDiff.Tuple) throws {
    guard partitions > 1 else {
      memory.append(tuple)
      return
    }
    let index = Int(tuple.keyHigh % UInt64(partitions))
    buffers[index].append(tuple)
    if buffers[index].count >= Self.flushAt { try flush(index) }
  }

  private func flush(_ index: Int) throws {
    try buffers[index].withUnsafeBytes { try writeAll(files[index], $0, path: paths[index]) }
    buffers[index].removeAll(keepingCapacity: true)
  }

  /// Flushes what is buffered; call once the side is read.
  func close() throws {
    for index in 0..<buffers.count { try flush(index) }
  }

  /// The tuples of `partition`.
  func tuples(_ partition: Int) throws -> [TableDiff.Tuple] {
    guard partitions > 1 else { return memory }
    let size = MemoryLayout<TableDiff.Tuple>.stride
    let end = try files[partition].seek(offset: 0, from: .end)
    let count = Int(end) / size
    var result = [TableDiff.Tuple](
      repeating: TableDiff.Tuple(keyHigh: 0, keyLow: 0, content: 0, line: 0), count: count)
    try result.withUnsafeMutableBytes {
      try readExactly(files[partition], at: 0, into: $0, path: paths[partition])
    }
    return result
  }
}

/// Stops reading a source early (pass 3, once every example line is read).
private struct StopReading: Error {}

extension TableDiff {
  /// Pass 1 over one side.
  func scan(_ source: TableSource, name: String, partitions: Int, folder: FilePath) throws
    -> (Side, Spill)
  {
    let spill = try Spill(partitions: partitions, folder: folder, name: name)
    var side = Side()
    var header: [String]? = nil
    var order: [Int] = []
    var keyIndices: [Int] = []
    var seed: UInt64 = 0
    var jsonColumns = Set<String>()
    let key = self.key
    let limit = self.limit
    let format = self.format
    func malformed(_ line: Int, _ problem: String) {
      side.malformedCount += 1
      if side.malformed.count < limit { side.malformed.append((line, problem)) }
    }
    var parser = RowParser(format: format) { record in
      if format == .jsonl {
        guard let values = Self.jsonValues(record.bytes) else {
          malformed(record.line, "not a JSON object")
          return
        }
        for name in values.keys.sorted() where jsonColumns.insert(name).inserted {
          side.columns.append(name)
        }
        var keyHash = RowHasher(seed: 7)
        for column in key {
          guard let value = values[column] else {
            malformed(record.line, "no key '\(column)'")
            return
          }
          keyHash.add(value)
        }
        var content = RowHasher()
        for name in values.keys.sorted() {
          content.add(name)
          if let value = values[name] { content.add(value) }
        }
        try Self.add(record.line, key: key.isEmpty ? content : keyHash, content, to: spill)
        side.rows += 1
        return
      }
      guard let columns = header else {
        var names = (0..<record.fields.count).map {
          String(decoding: record.field($0), as: UTF8.self)
        }
        if let first = names.first, first.hasPrefix("\u{FEFF}") {
          names[0] = String(first.dropFirst())
        }
        header = names
        side.columns = names
        order = names.indices.sorted { names[$0].utf8.lexicographicallyPrecedes(names[$1].utf8) }
        var schema = RowHasher()
        for index in order { schema.add(names[index]) }
        seed = schema.finish().low
        for column in key {
          guard let index = names.firstIndex(of: column) else {
            side.error = "no column '\(column)' (columns: \(names.joined(separator: ", ")))"
            throw StopReading()
          }
          keyIndices.append(index)
        }
        return
      }
      if let problem = record.problem {
        malformed(record.line, problem)
        return
      }
      guard record.fields.count == columns.count else {
        malformed(
          record.line, "\(record.fields.count) fields, the header has \(columns.count)")
        return
      }
      var content = RowHasher(seed: seed)
      for index in order { content.add(record.field(index)) }
      var keyHash = RowHasher(seed: 7)
      for index in keyIndices { keyHash.add(record.field(index)) }
      try Self.add(record.line, key: key.isEmpty ? content : keyHash, content, to: spill)
      side.rows += 1
    }
    do {
      try source.read { try parser.feed($0) }
      try parser.finish()
    } catch is StopReading {
      // A key column is missing: reported, nothing compared.
    }
    try spill.close()
    return (side, spill)
  }

  private static func add(
    _ line: Int, key: RowHasher, _ content: RowHasher, to spill: Spill
  ) throws {
    let id = key.finish()
    try spill.append(
      Tuple(keyHigh: id.high, keyLow: id.low, content: content.finish().low, line: UInt64(line)))
  }

  /// A JSON Lines record's top-level keys and their values as canonical
  /// JSON text (keys sorted), or nil if it is not a JSON object.
  static func jsonValues(_ bytes: [UInt8]) -> [String: String]? {
    guard
      let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [])
        as? [String: Any]
    else { return nil }
    var values: [String: String] = [:]
    for (name, value) in object {
      guard
        let data = try? JSONSerialization.data(
          withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
      else { return nil }
      values[name] = String(decoding: data, as: UTF8.self)
    }
    return values
  }

  /// Pass 3: reads each side up to its last example line and fills in the
  /// example rows, changed cells and duplicate keys.
  func fillExamples(
    _ report: inout TableDiffReport, found: Found, old: TableSource, new: TableSource
  ) async throws {
    var found = found
    found.finish()
    var oldLines = Set(found.removed + found.changed.map(\.old))
    var newLines = Set(found.added + found.changed.map(\.new))
    for duplicate in found.duplicates {
      if duplicate.version == "old" {
        oldLines.insert(duplicate.lines[0])
      } else {
        newLines.insert(duplicate.lines[0])
      }
    }
    let this = self
    let wantedOld = oldLines
    let wantedNew = newLines
    async let oldRows = Task.detached { try this.rows(at: wantedOld, in: old) }.value
    async let newRows = Task.detached { try this.rows(at: wantedNew, in: new) }.value
    let before = try await oldRows
    let after = try await newRows
    report.examples.added = found.added.compactMap { line in
      after[line].map { TableDiffReport.Row(line: line, values: $0) }
    }
    report.examples.removed = found.removed.compactMap { line in
      before[line].map { TableDiffReport.Row(line: line, values: $0) }
    }
    let columns = report.schema.old + report.schema.added
    report.examples.changed = found.changed.compactMap { pair in
      guard let a = before[pair.old], let b = after[pair.new] else { return nil }
      let cells = columns.compactMap { column -> TableDiffReport.Cell? in
        a[column] == b[column]
          ? nil : TableDiffReport.Cell(column: column, old: a[column], new: b[column])
      }
      return TableDiffReport.ChangedRow(
        key: keyValues(b), oldLine: pair.old, newLine: pair.new, cells: cells)
    }
    report.duplicateKeys = found.duplicates.map { duplicate in
      let row = (duplicate.version == "old" ? before : after)[duplicate.lines[0]] ?? [:]
      return TableDiffReport.DuplicateKey(
        version: duplicate.version, key: keyValues(row), lines: duplicate.lines)
    }
  }

  private func keyValues(_ row: [String: String]) -> [String: String] {
    var values: [String: String] = [:]
    for column in key { values[column] = row[column] }
    return values
  }

  /// The rows starting at `lines`, as column → value, reading no further
  /// than the last of them.
  private func rows(at lines: Set<Int>, in source: TableSource) throws -> [Int: [String: String]] {
    guard let last = lines.max() else { return [:] }
    var result: [Int: [String: String]] = [:]
    var header: [String]? = nil
    let format = self.format
    var parser = RowParser(format: format) { record in
      if format == .jsonl {
        if lines.contains(record.line) { result[record.line] = Self.jsonValues(record.bytes) }
      } else if let columns = header {
        if lines.contains(record.line), record.fields.count == columns.count {
          var values: [String: String] = [:]
          for (index, column) in columns.enumerated() {
            values[column] = String(decoding: record.field(index), as: UTF8.self)
          }
          result[record.line] = values
        }
      } else {
        var names = (0..<record.fields.count).map {
          String(decoding: record.field($0), as: UTF8.self)
        }
        if let first = names.first, first.hasPrefix("\u{FEFF}") {
          names[0] = String(first.dropFirst())
        }
        header = names
      }
      if record.line >= last { throw StopReading() }
    }
    do {
      try source.read { try parser.feed($0) }
      try parser.finish()
    } catch is StopReading {}
    return result
  }
}
