public import ArtStore

/// One folder's listing, sorted by the bytes of each name, names unique.
///
/// Layout, format version 1 (little-endian):
///
/// | size   | field                                                   |
/// |--------|---------------------------------------------------------|
/// | 4      | magic `ARTM`                                            |
/// | 1      | version = 1                                             |
/// | 3      | zero                                                    |
/// | 8      | entry count N                                           |
/// | N × …  | entry: u8 kind, u8 zero, u16 name length L, u32 mode,   |
/// |        | u64 size, 32-byte id, L bytes of UTF-8 name             |
///
/// Equal folders encode to equal bytes, so an unchanged folder keeps its id.
public struct Manifest: Sendable, Equatable {
  /// The entries, sorted by name bytes.
  public private(set) var entries: [ManifestEntry]

  static let magic: [UInt8] = Array("ARTM".utf8)

  /// How deep folders may nest in a version: far beyond real data, and
  /// well inside a thread's stack and the kernel's path length, so a crafted
  /// tower of folders is damage instead of a crash or a stall.
  public static let maximumDepth = 256

  /// The error for a tree nested deeper than ``maximumDepth`` at `path`.
  static func tooDeep(_ path: String) -> ArtError {
    ArtError.corrupt(
      String(path.prefix(200)), "folders nest deeper than \(maximumDepth) levels there")
  }

  /// The id of the manifest of an empty folder.
  public static let emptyID: ObjectID = {
    var out = ByteWriter()
    out.append(magic)
    out.append([1, 0, 0, 0])
    out.append(UInt64(0))
    return ObjectHasher.id(of: out.bytes)
  }()

  /// A manifest of `entries` in any order.
  ///
  /// - Throws: ``ArtError`` with code `.invalidArgument` for a duplicate or
  ///   unstorable name.
  public init(entries: [ManifestEntry]) throws {
    // Sorts (prefix, index) pairs and compares names only on a tie: a
    // commit sorts every folder it writes, and moving whole entries while
    // comparing Strings was most of that.
    var order = entries.indices.map { (prefix: byteOrderPrefix(entries[$0].name), index: $0) }
    order.sort { a, b in
      a.prefix != b.prefix
        ? a.prefix < b.prefix : ManifestEntry.precedes(entries[a.index].name, entries[b.index].name)
    }
    let sorted = order.map { entries[$0.index] }
    for (i, entry) in sorted.enumerated() {
      if let problem = ManifestEntry.problem(withName: entry.name) {
        throw ArtError(.invalidArgument, "'\(entry.name)' has \(problem)")
      }
      // Sorted, so a name that does not follow the one before repeats it.
      if i > 0, !ManifestEntry.precedes(sorted[i - 1].name, entry.name) {
        throw ArtError(.invalidArgument, "'\(entry.name)' appears twice in one folder")
      }
    }
    self.entries = sorted
  }

  /// The canonical bytes.
  public func encoded() -> [UInt8] {
    var out = ByteWriter(capacity: 16 + entries.count * 80)
    out.append(Self.magic)
    out.append([1, 0, 0, 0])
    out.append(UInt64(entries.count))
    for entry in entries {
      out.append(entry.kind.rawValue)
      out.append(UInt8(0))
      out.append(UInt16(entry.name.utf8.count))
      out.append(entry.mode)
      out.append(entry.size)
      out.append(entry.id)
      out.append(utf8: entry.name)
    }
    return out.bytes
  }

  /// Parses and checks manifest bytes; errors name `id`.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` for bad layout, unknown
  ///   kinds, unsorted or unsafe names; `.unsupportedFormat` for a newer version.
  public init(decoding bytes: [UInt8], id: ObjectID) throws {
    var subject: String { "manifest \(id)" }
    var reader = ByteReader(bytes, subject: subject)
    try reader.objectHeader(magic: Self.magic)
    let count = try reader.uint64()
    guard count <= UInt64(reader.remaining / 48) else {
      throw ArtError.corrupt(subject, "entry count \(count) does not fit its size")
    }
    var entries: [ManifestEntry] = []
    entries.reserveCapacity(Int(count))
    var previous: [UInt8]? = nil
    for _ in 0..<count {
      let rawKind = try reader.uint8()
      _ = try reader.uint8()
      let nameLength = Int(try reader.uint16())
      let mode = try reader.uint32()
      let size = try reader.uint64()
      let entryID = try reader.objectID()
      let name = try reader.bytes(nameLength)
      guard let kind = ManifestEntry.Kind(rawValue: rawKind) else {
        throw ArtError.corrupt(subject, "unknown entry kind \(rawKind)")
      }
      if let problem = ManifestEntry.problem(withName: name) {
        throw ArtError.corrupt(subject, "an entry has \(problem)")
      }
      // Sizes past Int64 are no real file, and would overflow counts.
      guard size <= UInt64(Int64.max) else {
        throw ArtError.corrupt(subject, "an entry's size \(size) is not a file size")
      }
      if let previous, !previous.lexicographicallyPrecedes(name) {
        throw ArtError.corrupt(subject, "entries are not sorted or repeat a name")
      }
      previous = name
      entries.append(
        ManifestEntry(
          name: String(decoding: name, as: UTF8.self), kind: kind, id: entryID, size: size,
          mode: mode & 0o7777))
    }
    guard reader.remaining == 0 else {
      throw ArtError.corrupt(subject, "\(reader.remaining) bytes after the last entry")
    }
    self.entries = entries
  }

  /// The entries by name, byte for byte (two names equal as strings are
  /// two entries, see ``TreePath``).
  public var entriesByName: [TreePath: ManifestEntry] {
    Dictionary(entries.map { (TreePath($0.name), $0) }, uniquingKeysWith: { first, _ in first })
  }

  /// The entry named `name`, byte for byte, found by binary search.
  func entry(named name: String) -> ManifestEntry? {
    var low = 0
    var high = entries.count
    while low < high {
      let middle = (low + high) / 2
      let order = ManifestEntry.order(entries[middle].name, name)
      if order == 0 { return entries[middle] }
      if order < 0 { low = middle + 1 } else { high = middle }
    }
    return nil
  }

  /// Sets the mode of each entry that `old` also names (byte for byte) to
  /// `mode(new, old)`, walking both sorted lists once.
  mutating func updateModes(
    matching old: Manifest, _ mode: (ManifestEntry, ManifestEntry) -> UInt32
  ) {
    var index = 0
    var oldIndex = 0
    while index < entries.count && oldIndex < old.entries.count {
      let order = ManifestEntry.order(entries[index].name, old.entries[oldIndex].name)
      if order < 0 {
        index += 1
      } else if order > 0 {
        oldIndex += 1
      } else {
        entries[index].mode = mode(entries[index], old.entries[oldIndex])
        index += 1
        oldIndex += 1
      }
    }
  }

  /// Total bytes of every stored file below this folder (references and
  /// link targets are not counted).
  ///
  /// Saturates at `UInt64.max`: each entry's size fits in an `Int64`, but a
  /// crafted manifest's total need not.
  public var totalSize: UInt64 {
    entries.reduce(0) { total, entry in
      let size = entry.kind == .symlink || entry.kind.pointsOutsideTree ? 0 : entry.size
      let (sum, overflow) = total.addingReportingOverflow(size)
      return overflow ? .max : sum
    }
  }
}

extension ObjectStore {
  /// Reads and parses the manifest `id`.
  ///
  /// - Throws: ``ArtError`` with code `.notFound`, `.corruptData`, or
  ///   `.invalidArgument` when `id` is some other kind of object.
  public func manifest(_ id: ObjectID) throws -> Manifest {
    try Manifest(decoding: read(id, as: .manifest), id: id)
  }
}
