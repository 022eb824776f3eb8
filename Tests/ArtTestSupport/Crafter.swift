public import ArtCore
public import ArtStore
public import SystemPackage

/// Writes what an attacker could put in a repository, a remote or a
/// project: manifests, records and refs with the bytes `Docs/FORMAT.md`
/// describes, none of the checks art applies when it writes them itself.
public enum Crafter {
  /// One manifest entry as raw fields (any name bytes, kind and mode).
  public struct Entry: Sendable {
    public var name: [UInt8]
    public var kind: ManifestEntry.Kind
    public var id: ObjectID
    public var size: UInt64
    public var mode: UInt32

    public init(
      _ name: String, _ kind: ManifestEntry.Kind, _ id: ObjectID, size: UInt64, mode: UInt32 = 0o644
    ) {
      self.name = Array(name.utf8)
      self.kind = kind
      self.id = id
      self.size = size
      self.mode = mode
    }
  }

  /// Manifest bytes (format version 1) for `entries` in the order given.
  public static func manifest(_ entries: [Entry]) -> [UInt8] {
    var out: [UInt8] = Array("ARTM".utf8) + [1, 0, 0, 0]
    out += littleEndian(UInt64(entries.count))
    for entry in entries {
      out += [entry.kind.rawValue, 0]
      out += littleEndian(UInt16(entry.name.count))
      out += littleEndian(entry.mode)
      out += littleEndian(entry.size)
      out += entry.id.bytes
      out += entry.name
    }
    return out
  }

  /// Version record bytes with any root, artifact and number.
  public static func record(
    artifact: String, number: UInt64, root: String, manifest: ObjectID, files: UInt64 = 1
  ) -> [UInt8] {
    VersionRecord(
      artifact: artifact, type: "dataset", number: number, root: root, manifest: manifest,
      files: files, created: 1_700_000_000_000
    ).encoded()
  }

  /// Journal file bytes holding `lines` as given, with a valid checksum.
  public static func journal(_ lines: [String]) -> [UInt8] {
    let body = (["# art-journal v1"] + lines).joined(separator: "\n") + "\n"
    let sum = ObjectHasher.id(of: Array(body.utf8))
    return Array((body + "# sha256 \(sum.hex)\n").utf8)
  }

  /// Refs file bytes holding `lines` as given (unsorted, repeated: as asked),
  /// with a valid checksum.
  public static func refs(_ lines: [String]) -> [UInt8] {
    let body = (["# art-refs v1"] + lines).joined(separator: "\n") + "\n"
    let sum = ObjectHasher.id(of: Array(body.utf8))
    return Array((body + "# sha256 \(sum.hex)\n").utf8)
  }

  /// Stores `objects` in a new pack of the repository at `root` and returns
  /// their ids.
  @discardableResult
  public static func store(_ objects: [([UInt8], ObjectKind)], in root: FilePath) throws
    -> [ObjectID]
  {
    let ids = objects.map { ObjectHasher.id(of: $0.0) }
    try forge(zip(objects, ids).map { ($0.0, $0.1, $1) }, in: root)
    return ids
  }

  /// Stores each of `objects` under the id given, whatever its bytes hash
  /// to, in one new pack of the repository at `root` (objects already
  /// stored are written again: a second copy is a case too); returns the
  /// pack's id.
  @discardableResult
  public static func forge(_ objects: [([UInt8], ObjectKind, ObjectID)], in root: FilePath) throws
    -> ObjectID
  {
    let repository = try Repository(root: root)
    let writer = ObjectWriter(
      store: repository.store, compression: .none, maximumPackSize: 1 << 30, skipsStored: false)
    let compressor = Compressor(compression: .none)
    for (bytes, kind, id) in objects {
      try bytes.withUnsafeBytes {
        _ = try writer.write($0, kind: kind, id: id, compressor: compressor)
      }
    }
    let packs = try writer.finish().packs
    precondition(packs.count == 1, "a forged pack is one pack")
    return packs[0]
  }

  /// Replaces the refs file of the repository at `root` with `lines`.
  public static func writeRefs(_ lines: [String], in root: FilePath) throws {
    try AtomicFile.write(refs(lines), to: root.appending(".art/refs"))
  }

  private static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
  }
}
