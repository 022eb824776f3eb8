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
      repeating: TableDiff.Tuple(keyHigh: 0, keyLow: 0, content: 0, line: 0, offset: 0),
      count: count)
    try result.withUnsafeMutableBytes {
      try readExactly(files[partition], at: 0, into: $0, path: paths[partition])
    }
    return result
  }
}

/// Stops reading a source early (pass 3, once every example line is read).
private struct StopReading: Error {}

extension TableDiff {
  /// The header of a CSV or TSV source (nil when it has none).
  func header(_ source: TableSource) throws -> [String]? {
    struct HeaderSink: RowSink {
      var names: [String]?
      mutating func row(_ record: inout ParsedRecord) throws {
        names = record.headerNames
        throw StopReading()
      }
    }
    var parser = RowParser(format: format, sink: HeaderSink())
    do {
      try source.read(whole: false) { try parser.feed($0) }
      try parser.finish()
    } catch is StopReading {}
    return parser.sink.names
  }

  /// Pass 1 over one side; with `compared`, a row's content is only those
  /// columns (the ones both sides have).
  func scan(
    _ source: TableSource, name: String, partitions: Int, folder: FilePath,
    compared: Set<String>? = nil
  ) throws -> (Side, Spill) {
    let spill = try Spill(partitions: partitions, folder: folder, name: name)
    var sink = ScanSink(key: key, limit: limit, format: format, spill: spill)
    sink.compared = compared
    var parser = RowParser(format: format, sink: sink)
    do {
      try source.read(whole: true) { try parser.feed($0) }
      try parser.finish()
    } catch is StopReading {
      // A key column is missing: reported, nothing compared.
    }
    try spill.close()
    return (parser.sink.side, spill)
  }

  /// Pass 1's handling of each record: the header, then a tuple per row.
  struct ScanSink: RowSink {
    let key: [String]
    let limit: Int
    let format: TableFormat
    let spill: Spill
    var side = Side()
    var header: [String]? = nil
    /// Column indices in name order, so reordered columns hash the same.
    var order: [Int] = []
    var keyIndices: [Int] = []
    /// The hash of the column names, mixed into every row's hash.
    var seed: UInt64 = 0
    var jsonColumns = Set<String>()
    /// The columns a row's content is made of; nil: all.
    var compared: Set<String>? = nil

    mutating func malformed(_ line: Int, _ problem: String) {
      side.malformedCount += 1
      if side.malformed.count < limit { side.malformed.append((line, problem)) }
    }

    mutating func row(_ record: inout ParsedRecord) throws {
      if format == .jsonl { return try jsonRow(record) }
      guard let columns = header else { return try readHeader(record) }
      if let problem = record.problem {
        malformed(record.line, problem)
        return
      }
      guard record.fields.count == columns.count else {
        malformed(record.line, "\(record.fields.count) fields, the header has \(columns.count)")
        return
      }
      var content = RowHasher(seed: seed)
      for index in order { content.add(record.field(index)) }
      var keyHash = RowHasher(seed: 7)
      for index in keyIndices { keyHash.add(record.field(index)) }
      try TableDiff.add(
        record.line, offset: record.offset, key: key.isEmpty ? content : keyHash, content,
        to: spill)
      side.rows += 1
    }

    private mutating func readHeader(_ record: ParsedRecord) throws {
      let names = record.headerNames
      header = names
      side.columns = names
      order = names.indices.filter { compared?.contains(names[$0]) ?? true }
        .sorted { names[$0].utf8.lexicographicallyPrecedes(names[$1].utf8) }
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
    }

    private mutating func jsonRow(_ record: ParsedRecord) throws {
      guard let values = TableDiff.jsonValues(record.bytes) else {
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
      try TableDiff.add(
        record.line, offset: record.offset, key: key.isEmpty ? content : keyHash, content,
        to: spill)
      side.rows += 1
    }
  }

  static func add(
    _ line: Int, offset: UInt64, key: RowHasher, _ content: RowHasher, to spill: Spill
  ) throws {
    let id = key.finish()
    try spill.append(
      Tuple(
        keyHigh: id.high, keyLow: id.low, content: content.finish().low, line: UInt64(line),
        offset: offset))
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

  /// Pass 3: reads back the example rows (only the chunks that hold them)
  /// and fills in the examples, changed cells and duplicate keys.
  func fillExamples(
    _ report: inout TableDiffReport, found: Found, old: TableSource, new: TableSource
  ) async throws {
    var found = found
    found.finish()
    var oldPlaces = found.removed + found.changed.map(\.old)
    var newPlaces = found.added + found.changed.map(\.new)
    for duplicate in found.duplicates {
      if duplicate.version == "old" {
        oldPlaces.append(duplicate.first)
      } else {
        newPlaces.append(duplicate.first)
      }
    }
    let this = self
    let wantedOld = oldPlaces
    let wantedNew = newPlaces
    async let oldRows = Task.detached { try this.rows(at: wantedOld, in: old) }.value
    async let newRows = Task.detached { try this.rows(at: wantedNew, in: new) }.value
    let before = try await oldRows
    let after = try await newRows
    report.examples.added = found.added.compactMap { place in
      after[place.line].map { TableDiffReport.Row(line: place.line, values: $0) }
    }
    report.examples.removed = found.removed.compactMap { place in
      before[place.line].map { TableDiffReport.Row(line: place.line, values: $0) }
    }
    // CSV and TSV rows are compared on the columns both sides have; JSON
    // Lines rows on every key.
    let columns =
      format == .jsonl
      ? report.schema.old + report.schema.added
      : report.schema.old.filter { !report.schema.removed.contains($0) }
    report.examples.changed = found.changed.compactMap { pair in
      guard let a = before[pair.old.line], let b = after[pair.new.line] else { return nil }
      let cells = columns.compactMap { column -> TableDiffReport.Cell? in
        a[column] == b[column]
          ? nil : TableDiffReport.Cell(column: column, old: a[column], new: b[column])
      }
      return TableDiffReport.ChangedRow(
        key: keyValues(b), oldLine: pair.old.line, newLine: pair.new.line, cells: cells)
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

  /// The rows at `places`, as column → value: each read from its offset
  /// (for CSV and TSV after the header, read once from the start).
  private func rows(at places: [Place], in source: TableSource) throws -> [Int: [String: String]] {
    guard !places.isEmpty else { return [:] }
    var header: [String] = []
    if format != .jsonl {
      header = try firstRecord(in: source, from: 0, line: 1).map(\.headerNames) ?? []
    }
    var result: [Int: [String: String]] = [:]
    for place in Set(places.map { [$0.line, Int($0.offset)] }) {
      guard
        let record = try firstRecord(in: source, from: UInt64(place[1]), line: place[0])
      else { continue }
      if format == .jsonl {
        result[place[0]] = Self.jsonValues(record.bytes)
      } else if record.fields.count == header.count {
        var values: [String: String] = [:]
        for (index, column) in header.enumerated() {
          values[column] = String(decoding: record.field(index), as: UTF8.self)
        }
        result[place[0]] = values
      }
    }
    return result
  }

  /// The record starting at byte `offset` (on line `line`).
  private func firstRecord(in source: TableSource, from offset: UInt64, line: Int) throws
    -> ParsedRecord?
  {
    var found: ParsedRecord? = nil
    var parser = RowParser(format: format, startingAt: line, offset: offset) { record in
      found = record
      throw StopReading()
    }
    do {
      try source.read(from: offset) { try parser.feed($0) }
      try parser.finish()
    } catch is StopReading {}
    return found
  }
}
