public import ArtStore
import Foundation
public import SystemPackage

/// Where one side of a table diff reads its bytes: a stored file, or a file
/// on disk.
public enum TableSource: Sendable {
  case stored(ObjectID, ObjectStore)
  case file(FilePath)

  /// Streams the content in pieces.
  ///
  /// With `whole`, a chunked file is
  /// checked once against its whole-file hash (the file must be read to
  /// the end); otherwise each chunk is checked as it is read.
  func read(whole: Bool = false, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
    switch self {
    case .stored(let id, let store):
      try ContentReader.read(id, from: store, wholeFileCheckOnly: whole, body)
    case .file:
      try read(from: 0, body)
    }
  }

  /// Streams the content from byte `offset` on (each stored chunk checked).
  func read(from offset: UInt64, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
    switch self {
    case .stored(let id, let store):
      try ContentReader.read(id, from: store, startingAt: offset, body)
    case .file(let path):
      let fd = try openForReading(path)
      defer { try? fd.close() }
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 64)
      defer { buffer.deallocate() }
      var position = Int64(offset)
      while true {
        let count: Int
        do {
          count = try fd.read(fromAbsoluteOffset: position, into: buffer)
        } catch {
          throw ArtError.io("read", path.string, error)
        }
        if count == 0 { break }
        try body(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        position += Int64(count)
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
/// Pass 1 reads both sides at once; each row leaves 40 bytes: the 128-bit
/// hash of its key (or of its whole content), a 64-bit hash of its content
/// with columns in name order (so reordered columns change nothing), its
/// line and its byte offset. Those go to spill files by key hash, one
/// partition per 32 MiB of input, when the files are larger than that.
/// Pass 2 loads one partition of both sides at a time, sorts each by key
/// hash and walks them together: memory is about 40 bytes × the rows of one
/// partition × 3 (both sides and a sorted copy), under 512 MiB for rows of
/// 8 bytes or more on average. Pass 3 reads the example rows back, reading
/// only the chunks that hold them.
public struct TableDiff: Sendable {
  public var path: String
  public var format: TableFormat
  public var key: [String]
  public var limit: Int
  /// Bytes of input per partition (the memory bound follows from it).
  public var bytesPerPartition: UInt64 = 32 << 20
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
    /// Where the row starts in the file, for pass 3.
    var offset: UInt64
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
    // A column added or removed changes no row: rows are compared on the
    // columns both sides have (the schema says what was added).
    var compared: Set<String>? = nil
    if format != .jsonl, let oldColumns = try header(old), let newColumns = try header(new),
      Set(oldColumns) != Set(newColumns), !Set(oldColumns).isDisjoint(with: newColumns)
    {
      compared = Set(oldColumns).intersection(newColumns)
    }
    let common = compared
    async let oldScan = Task.detached {
      try this.scan(old, name: "old", partitions: partitions, folder: folder, compared: common)
    }.value
    async let newScan = Task.detached {
      try this.scan(new, name: "new", partitions: partitions, folder: folder, compared: common)
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
      try await compare(
        oldSpill.tuples(partition), newSpill.tuples(partition), into: &report, found: &found)
    }
    // Pass 3: the example rows themselves.
    try await fillExamples(&report, found: found, old: old, new: new)
    return report
  }

  /// Where a row is: its line, and its byte offset for reading it back.
  struct Place: Comparable {
    var line: Int
    var offset: UInt64

    init(_ tuple: Tuple) {
      line = Int(tuple.line)
      offset = tuple.offset
    }

    static func < (a: Place, b: Place) -> Bool { a.line < b.line }
  }

  /// The examples to show: the lowest `limit` lines of each kind.
  struct Found {
    let limit: Int
    var added: [Place] = []
    var removed: [Place] = []
    var changed: [(old: Place, new: Place)] = []
    /// A duplicated key: the version, its first two lines, where the first is.
    var duplicates: [(version: String, lines: [Int], first: Place)] = []

    mutating func keepAdded(_ place: Place) { Self.keep(place, in: &added, limit: limit) }
    mutating func keepRemoved(_ place: Place) { Self.keep(place, in: &removed, limit: limit) }
    mutating func keepChanged(old: Place, new: Place) {
      changed.append((old, new))
      if changed.count > 4 * limit + 16 {
        changed.sort { $0.new < $1.new }
        changed.removeLast(changed.count - limit)
      }
    }

    private static func keep(_ value: Place, in list: inout [Place], limit: Int) {
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

  /// Compares one partition by sorting both sides by key hash (then line)
  /// and walking them together: no hash table, and duplicates sit side by
  /// side.
  private func compare(
    _ old: [Tuple], _ new: [Tuple], into report: inout TableDiffReport, found: inout Found
  ) async throws {
    async let sortedOld = Task.detached { Self.sorted(old) }.value
    async let sortedNew = Task.detached { Self.sorted(new) }.value
    let a = await sortedOld
    let b = await sortedNew
    var i = 0
    var j = 0
    while i < a.count || j < b.count {
      var iEnd = i
      var jEnd = j
      let order: Int
      if i == a.count {
        order = 1
      } else if j == b.count {
        order = -1
      } else if Self.sameKey(a[i], b[j]) {
        order = 0
      } else {
        order = Self.keyPrecedes(a[i], b[j]) ? -1 : 1
      }
      if order <= 0 {
        while iEnd < a.count, Self.sameKey(a[iEnd], a[i]) { iEnd += 1 }
      }
      if order >= 0 {
        while jEnd < b.count, Self.sameKey(b[jEnd], b[j]) { jEnd += 1 }
      }
      let oldCount = iEnd - i
      let newCount = jEnd - j
      if key.isEmpty {
        // Whole rows as a multiset: the surplus on either side.
        let common = min(oldCount, newCount)
        report.rows.unchanged += common
        if oldCount > common {
          report.rows.removed += oldCount - common
          for index in (i + common)..<iEnd { found.keepRemoved(Place(a[index])) }
        }
        if newCount > common {
          report.rows.added += newCount - common
          for index in (j + common)..<jEnd { found.keepAdded(Place(b[index])) }
        }
      } else {
        if oldCount > 1 {
          report.duplicateKeyCount += oldCount - 1
          found.duplicates.append(("old", [Int(a[i].line), Int(a[i + 1].line)], Place(a[i])))
        }
        if newCount > 1 {
          report.duplicateKeyCount += newCount - 1
          found.duplicates.append(("new", [Int(b[j].line), Int(b[j + 1].line)], Place(b[j])))
        }
        switch (oldCount > 0, newCount > 0) {
        case (true, false):
          report.rows.removed += 1
          found.keepRemoved(Place(a[i]))
        case (false, true):
          report.rows.added += 1
          found.keepAdded(Place(b[j]))
        case (true, true):
          if a[i].content == b[j].content {
            report.rows.unchanged += 1
          } else {
            report.rows.changed += 1
            found.keepChanged(old: Place(a[i]), new: Place(b[j]))
          }
        case (false, false):
          break
        }
      }
      i = iEnd
      j = jEnd
    }
  }

  /// Sorted by key hash, then line.
  ///
  /// The hashes are uniform, so one
  /// counting pass on the top 16 bits scatters them into buckets of a few
  /// tuples each, which insertion sort finishes (a large bucket — many
  /// duplicate keys — is sorted by the standard library instead).
  static func sorted(_ tuples: [Tuple]) -> [Tuple] {
    func precedes(_ a: Tuple, _ b: Tuple) -> Bool {
      a.keyHigh != b.keyHigh
        ? a.keyHigh < b.keyHigh : a.keyLow != b.keyLow ? a.keyLow < b.keyLow : a.line < b.line
    }
    guard tuples.count > 64 else { return tuples.sorted(by: precedes) }
    var starts = [Int](repeating: 0, count: 65_537)
    for tuple in tuples { starts[Int(tuple.keyHigh >> 48) + 1] += 1 }
    for bucket in 1..<starts.count { starts[bucket] += starts[bucket - 1] }
    var next = starts
    var result = [Tuple](unsafeUninitializedCapacity: tuples.count) { buffer, count in
      guard let base = buffer.baseAddress else { return }  // capacity > 64: never nil
      for tuple in tuples {
        let bucket = Int(tuple.keyHigh >> 48)
        (base + next[bucket]).initialize(to: tuple)
        next[bucket] += 1
      }
      count = tuples.count
    }
    result.withUnsafeMutableBufferPointer { buffer in
      for bucket in 0..<65_536 {
        let low = starts[bucket]
        let high = starts[bucket + 1]
        if high - low < 2 { continue }
        if high - low > 32 {
          buffer[low..<high].sort(by: precedes)
          continue
        }
        for i in (low + 1)..<high {
          let item = buffer[i]
          var j = i - 1
          while j >= low, precedes(item, buffer[j]) {
            buffer[j + 1] = buffer[j]
            j -= 1
          }
          buffer[j + 1] = item
        }
      }
    }
    return result
  }

  private static func sameKey(_ a: Tuple, _ b: Tuple) -> Bool {
    a.keyHigh == b.keyHigh && a.keyLow == b.keyLow
  }

  private static func keyPrecedes(_ a: Tuple, _ b: Tuple) -> Bool {
    a.keyHigh != b.keyHigh ? a.keyHigh < b.keyHigh : a.keyLow < b.keyLow
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
