public import ArtStore
import Foundation
public import SystemPackage

/// Where one side of a table diff reads its bytes: a stored file, or a file
/// on disk.
public enum TableSource: Sendable {
  case stored(ObjectID, ObjectStore)
  case file(FilePath)

  /// Streams the content in pieces.
  func read(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
    switch self {
    case .stored(let id, let store):
      try ContentReader.read(id, from: store, body)
    case .file(let path):
      let fd = try openForReading(path)
      defer { try? fd.close() }
      var source = FileSource(descriptor: fd, name: path.string)
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
      defer { buffer.deallocate() }
      while true {
        let count = try source.read(into: buffer)
        if count == 0 { break }
        try body(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
      }
    }
  }
}

/// The row-level difference of one table file between two versions.
///
/// The `--json` shape of `art diff --rows` (documented in COMMANDS.md).
public struct TableDiffReport: Sendable, Encodable {
  /// Columns (JSON Lines: keys) on each side and how they moved.
  public struct Schema: Sendable, Encodable {
    public var old: [String] = []
    public var new: [String] = []
    public var added: [String] = []
    public var removed: [String] = []
    /// Whether the columns both sides have come in another order.
    public var reordered = false
  }

  /// Row counts.
  public struct Rows: Sendable, Encodable {
    public var old = 0
    public var new = 0
    public var added = 0
    public var removed = 0
    /// With a key: rows whose key is on both sides with other content.
    public var changed = 0
    public var unchanged = 0
  }

  /// One row of one side.
  public struct Row: Sendable, Encodable {
    public var line: Int
    /// Column → value (JSON Lines: key → JSON text).
    public var values: [String: String]
  }

  /// One changed cell.
  public struct Cell: Sendable, Encodable {
    public var column: String
    /// Nil when the column is missing on that side.
    public var old: String?
    public var new: String?
  }

  /// A row whose key is on both sides with other content.
  public struct ChangedRow: Sendable, Encodable {
    public var key: [String: String]
    public var oldLine: Int
    public var newLine: Int
    public var cells: [Cell]
  }

  /// A key that appears more than once in one version.
  public struct DuplicateKey: Sendable, Encodable {
    /// `old` or `new`.
    public var version: String
    public var key: [String: String]
    /// The first two lines holding it.
    public var lines: [Int]
  }

  /// A row that could not be read.
  public struct Malformed: Sendable, Encodable {
    public var version: String
    public var line: Int
    public var problem: String
  }

  /// Examples of each kind: the first `--limit` by line number.
  public struct Examples: Sendable, Encodable {
    public var added: [Row] = []
    public var removed: [Row] = []
    public var changed: [ChangedRow] = []
  }

  public var path: String
  public var format: TableFormat
  /// The key columns; empty when rows are matched by their whole content.
  public var key: [String]
  public var schema = Schema()
  public var rows = Rows()
  public var examples = Examples()
  public var duplicateKeys: [DuplicateKey] = []
  public var duplicateKeyCount = 0
  public var malformed: [Malformed] = []
  public var malformedCount = 0
  /// Why the rows could not be compared, such as a missing key column.
  public var error: String?
}

/// Compares two versions of a CSV, TSV or JSON Lines file row by row, in
/// bounded memory whatever their size.
///
/// Pass 1 reads both sides at once; each row leaves 32 bytes: the 128-bit
/// hash of its key (or of its whole content), a 64-bit hash of its content
/// with columns in name order (so reordered columns change nothing), and
/// its line. Those go to `partitions` spill files by key hash when the files
/// are large. Pass 2 loads one partition of the old side into a hash table
/// at a time and streams the new side's against it. Pass 3 reads the files
/// again only up to the last example line to show the example rows.
public struct TableDiff: Sendable {
  public var path: String
  public var format: TableFormat
  public var key: [String]
  public var limit: Int
  /// Bytes of source text per partition (the memory bound follows it).
  public var bytesPerPartition: UInt64 = 64 << 20
  /// Where spill files go (a folder that is created and removed).
  public var scratch: FilePath

  public init(path: String, format: TableFormat, key: [String], limit: Int, scratch: FilePath) {
    self.path = path
    self.format = format
    self.key = key
    self.limit = limit
    self.scratch = scratch
  }

  struct Tuple {
    var keyHigh: UInt64
    var keyLow: UInt64
    var content: UInt64
    var line: UInt64
  }

  /// What pass 1 learned of one side.
  struct Side {
    var columns: [String] = []
    var rows = 0
    var malformed: [(Int, String)] = []
    var malformedCount = 0
    var error: String?
  }

  /// Compares `old` with `new` (`sizes` are their byte lengths, to choose
  /// the partitions).
  public func run(old: TableSource, new: TableSource, sizes: (UInt64, UInt64)) async throws
    -> TableDiffReport
  {
    var report = TableDiffReport(path: path, format: format, key: key)
    let partitions = Int(max(1, (sizes.0 + sizes.1) / bytesPerPartition))
    let folder = scratch
    if partitions > 1 { try Syscalls.makeDirectories(folder) }
    defer { if partitions > 1 { try? removeTree(folder) } }
    let this = self
    async let oldScan = Task.detached {
      try this.scan(old, name: "old", partitions: partitions, folder: folder)
    }.value
    async let newScan = Task.detached {
      try this.scan(new, name: "new", partitions: partitions, folder: folder)
    }.value
    let (oldSide, oldSpill) = try await oldScan
    let (newSide, newSpill) = try await newScan
    report.schema = Self.schema(oldSide.columns, newSide.columns)
    report.rows.old = oldSide.rows
    report.rows.new = newSide.rows
    for (name, side) in [("old", oldSide), ("new", newSide)] {
      report.malformedCount += side.malformedCount
      report.malformed += side.malformed.map {
        TableDiffReport.Malformed(version: name, line: $0.0, problem: $0.1)
      }
      if let error = side.error, report.error == nil { report.error = "\(name) version: \(error)" }
      // JSON Lines have no header: a key no row has is missing altogether.
      let columns = Set(side.columns)
      if format == .jsonl, side.rows == 0, side.malformedCount > 0, report.error == nil,
        let missing = key.first(where: { !columns.contains($0) })
      {
        report.error = "\(name) version: no row has the key '\(missing)'"
      }
    }
    report.malformed = Array(report.malformed.sorted { $0.line < $1.line }.prefix(limit))
    if report.error != nil { return report }

    // Pass 2, one partition at a time.
    var found = Found(limit: limit)
    for partition in 0..<partitions {
      try compare(
        oldSpill.tuples(partition), newSpill.tuples(partition), into: &report, found: &found)
    }
    // Pass 3: the example rows themselves.
    try await fillExamples(&report, found: found, old: old, new: new)
    return report
  }

  /// Line numbers of the examples to show, the lowest `limit` of each kind.
  struct Found {
    let limit: Int
    var added: [Int] = []
    var removed: [Int] = []
    var changed: [(old: Int, new: Int)] = []
    var duplicates: [(version: String, lines: [Int])] = []

    mutating func keepAdded(_ line: Int) { Self.keep(line, in: &added, limit: limit) }
    mutating func keepRemoved(_ line: Int) { Self.keep(line, in: &removed, limit: limit) }

    private static func keep(_ value: Int, in list: inout [Int], limit: Int) {
      list.append(value)
      if list.count > 4 * limit + 16 {
        list.sort()
        list.removeLast(list.count - limit)
      }
    }

    mutating func finish() {
      added = Array(added.sorted().prefix(limit))
      removed = Array(removed.sorted().prefix(limit))
      changed = Array(changed.sorted { $0.new < $1.new }.prefix(limit))
      duplicates = Array(duplicates.sorted { $0.lines[0] < $1.lines[0] }.prefix(limit))
    }
  }

  private func compare(
    _ old: [Tuple], _ new: [Tuple], into report: inout TableDiffReport, found: inout Found
  ) throws {
    if key.isEmpty {
      // A multiset of whole rows: counts per content, a line to show.
      var counts: [RowKey: (count: Int, line: Int)] = [:]
      counts.reserveCapacity(old.count)
      for tuple in old {
        let id = RowKey(high: tuple.keyHigh, low: tuple.keyLow)
        counts[id, default: (0, Int(tuple.line))].count += 1
      }
      for tuple in new {
        let id = RowKey(high: tuple.keyHigh, low: tuple.keyLow)
        if let entry = counts[id], entry.count > 0 {
          counts[id]?.count -= 1
          report.rows.unchanged += 1
        } else {
          report.rows.added += 1
          found.keepAdded(Int(tuple.line))
        }
      }
      for (_, entry) in counts where entry.count > 0 {
        report.rows.removed += entry.count
        found.keepRemoved(entry.line)
      }
      return
    }
    var byKey: [RowKey: (content: UInt64, line: Int, matched: Bool)] = [:]
    byKey.reserveCapacity(old.count)
    for tuple in old {
      let id = RowKey(high: tuple.keyHigh, low: tuple.keyLow)
      if let first = byKey[id] {
        report.duplicateKeyCount += 1
        found.duplicates.append(("old", [first.line, Int(tuple.line)]))
        continue
      }
      byKey[id] = (tuple.content, Int(tuple.line), false)
    }
    var seen = Set<RowKey>()
    seen.reserveCapacity(new.count)
    var firstLine: [RowKey: Int] = [:]
    for tuple in new {
      let id = RowKey(high: tuple.keyHigh, low: tuple.keyLow)
      guard seen.insert(id).inserted else {
        report.duplicateKeyCount += 1
        found.duplicates.append(("new", [firstLine[id] ?? 0, Int(tuple.line)]))
        continue
      }
      firstLine[id] = Int(tuple.line)
      guard let before = byKey[id] else {
        report.rows.added += 1
        found.keepAdded(Int(tuple.line))
        continue
      }
      byKey[id]?.matched = true
      if before.content == tuple.content {
        report.rows.unchanged += 1
      } else {
        report.rows.changed += 1
        found.changed.append((before.line, Int(tuple.line)))
        if found.changed.count > 4 * limit + 16 {
          found.changed.sort { $0.new < $1.new }
          found.changed.removeLast(found.changed.count - limit)
        }
      }
    }
    for (_, entry) in byKey where !entry.matched {
      report.rows.removed += 1
      found.keepRemoved(entry.line)
    }
  }

  static func schema(_ old: [String], _ new: [String]) -> TableDiffReport.Schema {
    var schema = TableDiffReport.Schema()
    schema.old = old
    schema.new = new
    let oldSet = Set(old)
    let newSet = Set(new)
    schema.added = new.filter { !oldSet.contains($0) }
    schema.removed = old.filter { !newSet.contains($0) }
    schema.reordered = old.filter { newSet.contains($0) } != new.filter { oldSet.contains($0) }
    return schema
  }
}
