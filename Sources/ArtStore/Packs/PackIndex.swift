import Crypto
public import SystemPackage

/// The lookup table beside a pack: id → where the object is.
///
/// Read through ``MappedFile`` (mapped, or read whole when small); a lookup
/// touches the fan-out entry and about log2(N) ids.
///
/// Layout, format version 1 to 4 (little-endian; the same layout in all).
/// This build writes 4, which marks a pack of format 2 (no footer), with any
/// codec and perhaps a dictionary. Older builds wrote 1, 2 when some entry
/// has codec 3 (zstd), and 3 when the pack holds a dictionary, which its
/// codec-4 records are compressed against:
///
/// | offset          | size    | content                                        |
/// |-----------------|---------|------------------------------------------------|
/// | 0               | 8       | magic `ARTIDX\0\0`                              |
/// | 8               | 4       | version = 1, 2 with zstd records, 3 with a dictionary, 4 |
/// | 12              | 4       | versions 3 and 4: position of the dictionary entry + 1, or zero |
/// | 16              | 8       | object count N                                 |
/// | 24              | 8       | size of the `.pack` file in bytes              |
/// | 32              | 32      | pack id                                        |
/// | 64              | 256 × 4 | fan-out: entry b = number of ids with first byte ≤ b |
/// | 1088            | N × 32  | ids, sorted ascending, no duplicates           |
/// | 1088 + 32N      | N × 32  | entries in id order: u64 offset, u64 raw length, |
/// |                 |         | u64 stored length, u32 CRC-32, u8 kind, u8 codec, u16 zero |
/// | 1088 + 64N      | 32      | SHA-256 of all preceding bytes                 |
///
/// ``init(path:)`` checks the size, magic, version and fan-out once; lookups
/// then read without further bounds failures. The checksum is checked by
/// ``verifyChecksum()`` (verify-pack), not on every open.
public struct PackIndex: Sendable {
  static let magic: [UInt8] = Array("ARTIDX\0\0".utf8)
  static let headerSize = 64
  static let fanoutOffset = 64
  static let idsOffset = 64 + 256 * 4
  /// The largest pack size an index may state, 256 TiB: far past any pack
  /// art writes, and small enough that sums over packs cannot overflow.
  static let maximumPackSize: UInt64 = 1 << 48

  let file: MappedFile
  /// The number of objects in the pack.
  public let count: Int
  /// The index format: 4 for a pack of format 2 (what this build writes);
  /// for older packs, 3 when it holds a dictionary, 2 when it holds zstd
  /// records, else 1.
  public let version: UInt32
  /// The position of the pack's dictionary entry, if it has one (formats 3
  /// and 4).
  public let dictionaryPosition: Int?

  /// The number of objects in the pack, its dictionary left out: a
  /// dictionary goes with its pack's records, never on its own.
  public var objectCount: Int { count - (dictionaryPosition == nil ? 0 : 1) }
  /// The id of the pack this index describes.
  public let packID: ObjectID
  /// The size the `.pack` file must have.
  public let packSize: UInt64

  /// Maps and validates an index file.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` naming the file, or
  ///   `.unsupportedFormat` for a newer version.
  public init(path: FilePath) throws {
    let file = try MappedFile(path: path)
    self.file = file
    let name = path.string
    (count, packID, packSize, version, dictionaryPosition) = try file.withUnsafeBytes {
      (b) throws -> (Int, ObjectID, UInt64, UInt32, Int?) in
      guard b.count >= Self.idsOffset + 32 else {
        throw ArtError.corrupt(name, "\(b.count) bytes is too short for a pack index")
      }
      guard b.prefix(8).elementsEqual(Self.magic) else {
        throw ArtError.corrupt(name, "bad magic number")
      }
      let version: UInt32 = b.littleEndian(at: 8)
      guard version != 0 else { throw ArtError.corrupt(name, "it has format version 0") }
      guard version <= 4 else { throw ArtError.newerFormat("pack index '\(name)'", version) }
      let count: UInt64 = b.littleEndian(at: 16)
      var previous: UInt32 = 0
      for bucket in 0..<256 {
        let total: UInt32 = b.littleEndian(at: Self.fanoutOffset + 4 * bucket)
        guard total >= previous else {
          throw ArtError.corrupt(name, "fan-out decreases at bucket \(bucket)")
        }
        previous = total
      }
      guard UInt64(previous) == count, count < UInt64(Int32.max),
        b.count == Self.idsOffset + Int(count) * 64 + 32
      else {
        throw ArtError.corrupt(name, "size does not match its \(count) entries")
      }
      let packID = ObjectID(bytes: UnsafeRawBufferPointer(rebasing: b[32..<64]))
      // A pack size no file has keeps sums of sizes from overflowing.
      let packSize: UInt64 = b.littleEndian(at: 24)
      guard packSize <= Self.maximumPackSize else {
        throw ArtError.corrupt(name, "it says its pack is \(packSize) bytes")
      }
      let dictionary: UInt32 = b.littleEndian(at: 12)
      guard dictionary == 0 || (version >= 3 && UInt64(dictionary) <= count) else {
        throw ArtError.corrupt(name, "names dictionary entry \(dictionary) of its \(count)")
      }
      return (
        Int(count), packID, packSize, version,
        dictionary == 0 ? nil : Int(dictionary) - 1
      )
    }
  }

  /// The file this index was read from.
  public var path: FilePath { file.path }

  /// The position of `id` in the sorted table, or nil; the pack's
  /// dictionary is not an object to look up (see ``dictionaryPosition``).
  public func position(of id: ObjectID) -> Int? {
    file.withUnsafeBytes { b in
      let (low, high) = bucket(id.firstByte, b)
      var lo = low
      var hi = high
      while lo < hi {
        let mid = (lo + hi) / 2
        let candidate = self.id(at: mid, b)
        if candidate == id { return mid == dictionaryPosition ? nil : mid }
        if candidate < id { lo = mid + 1 } else { hi = mid }
      }
      return nil
    }
  }

  /// Every id that starts with `prefix`, but the dictionary's.
  public func ids(matching prefix: ObjectIDPrefix) -> [ObjectID] {
    file.withUnsafeBytes { b in
      var (lo, hi) = bucket(prefix.lowerBound.firstByte, b)
      let end = hi
      while lo < hi {
        let mid = (lo + hi) / 2
        if id(at: mid, b) < prefix.lowerBound { lo = mid + 1 } else { hi = mid }
      }
      var found: [ObjectID] = []
      var i = lo
      while i < end, prefix.matches(id(at: i, b)) {
        if i != dictionaryPosition { found.append(id(at: i, b)) }
        i += 1
      }
      return found
    }
  }

  /// The ids of the pack's objects in index order, its dictionary left out.
  public var objectIDs: [ObjectID] {
    (0..<count).compactMap { $0 == dictionaryPosition ? nil : id(at: $0) }
  }

  /// The id at `position`.
  public func id(at position: Int) -> ObjectID {
    file.withUnsafeBytes { id(at: position, $0) }
  }

  /// The entry at `position`.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` when its kind or codec is
  ///   unknown, or its record does not lie inside the pack (an index from a
  ///   remote is not trusted: its numbers must not overflow a read).
  public func entry(at position: Int) throws -> PackEntry {
    try file.withUnsafeBytes { (b) throws -> PackEntry in
      let base = Self.idsOffset + count * 32 + position * 32
      let id = self.id(at: position, b)
      guard let kind = ObjectKind(rawValue: b[base + 28]),
        let codec = Codec(rawValue: b[base + 29])
      else {
        throw ArtError.corrupt(file.path.string, "entry for \(id) has an unknown kind or codec")
      }
      // A dictionary, and records compressed against one, exist only in
      // format 3, where the header names the one dictionary entry; it is
      // stored raw and small, so reading it costs at most its bound.
      let rawLength: UInt64 = b.littleEndian(at: base + 8)
      let storedLength: UInt64 = b.littleEndian(at: base + 16)
      guard (kind == .dictionary) == (position == dictionaryPosition),
        codec != .zstdDictionary || dictionaryPosition != nil,
        kind != .dictionary
          || (codec == .none && rawLength == storedLength
            && rawLength <= UInt64(ZstdDictionary.maximumSize))
      else {
        throw ArtError.corrupt(
          file.path.string, "entry for \(id) does not match the dictionary its header names")
      }
      let entry = PackEntry(
        id: id, offset: b.littleEndian(at: base), rawLength: b.littleEndian(at: base + 8),
        storedLength: b.littleEndian(at: base + 16), crc: b.littleEndian(at: base + 24),
        kind: kind, codec: codec)
      let (end, overflow) = entry.offset.addingReportingOverflow(
        UInt64(PackFormat.recordHeaderSize) &+ entry.storedLength)
      guard entry.offset >= UInt64(PackFormat.headerSize), !overflow, end <= packSize,
        entry.storedLength <= PackFormat.maximumObjectSize,
        entry.rawLength <= PackFormat.maximumObjectSize
      else {
        throw ArtError.corrupt(
          file.path.string, "entry for \(id) does not lie inside its \(packSize)-byte pack")
      }
      return entry
    }
  }

  /// Checks the trailing SHA-256 and that ids are sorted without duplicates.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` naming the file.
  public func verifyChecksum() throws {
    try file.withUnsafeBytes { (b) throws in
      let body = UnsafeRawBufferPointer(rebasing: b[0..<(b.count - 32)])
      let stored = ObjectID(bytes: UnsafeRawBufferPointer(rebasing: b[(b.count - 32)...]))
      guard ObjectHasher.id(of: body) == stored else {
        throw ArtError.corrupt(file.path.string, "checksum does not match its contents")
      }
      for i in 1..<max(1, count) where !(id(at: i - 1, b) < id(at: i, b)) {
        throw ArtError.corrupt(file.path.string, "ids are not sorted at entry \(i)")
      }
      for i in 0..<count {
        let byte = Int(id(at: i, b).firstByte)
        let (low, high) = bucket(UInt8(byte), b)
        guard i >= low, i < high else {
          throw ArtError.corrupt(file.path.string, "fan-out does not match id \(i)")
        }
      }
    }
  }

  private func id(at position: Int, _ b: UnsafeRawBufferPointer) -> ObjectID {
    ObjectID(in: b, at: Self.idsOffset + position * 32)
  }

  private func bucket(_ byte: UInt8, _ b: UnsafeRawBufferPointer) -> (Int, Int) {
    let high: UInt32 = b.littleEndian(at: Self.fanoutOffset + 4 * Int(byte))
    let low: UInt32 = byte == 0 ? 0 : b.littleEndian(at: Self.fanoutOffset + 4 * (Int(byte) - 1))
    return (Int(low), Int(high))
  }
}

/// Encodes pack index files.
enum PackIndexWriter {
  /// The bytes of the index for `entries` (sorted by id).
  static func encode(entries: [PackEntry], packID: ObjectID, packSize: UInt64) -> [UInt8] {
    let count = entries.count
    var out = [UInt8](repeating: 0, count: PackIndex.idsOffset + count * 64 + 32)
    out.withUnsafeMutableBytes { b in
      for (i, byte) in PackIndex.magic.enumerated() { b[i] = byte }
      // Version 4 marks a pack of format 2, so art that knows less refuses
      // it as newer instead of calling it damaged.
      let dictionary = entries.firstIndex { $0.kind == .dictionary }
      b.store(UInt32(4), at: 8)
      b.store(UInt32(dictionary.map { $0 + 1 } ?? 0), at: 12)
      b.store(UInt64(count), at: 16)
      b.store(packSize, at: 24)
      packID.write(to: UnsafeMutableRawBufferPointer(rebasing: b[32..<64]))
      var fanout = [UInt32](repeating: 0, count: 256)
      for entry in entries { fanout[Int(entry.id.firstByte)] += 1 }
      var running: UInt32 = 0
      for bucket in 0..<256 {
        running += fanout[bucket]
        b.store(running, at: PackIndex.fanoutOffset + 4 * bucket)
      }
      for (i, entry) in entries.enumerated() {
        let idBase = PackIndex.idsOffset + i * 32
        entry.id.write(to: UnsafeMutableRawBufferPointer(rebasing: b[idBase..<idBase + 32]))
        let base = PackIndex.idsOffset + count * 32 + i * 32
        PackFormat.encodeEntryFields(
          entry, into: UnsafeMutableRawBufferPointer(rebasing: b[base..<base + 32]))
      }
      let body = UnsafeRawBufferPointer(rebasing: b[0..<(b.count - 32)])
      let checksum = ObjectHasher.id(of: body)
      checksum.write(to: UnsafeMutableRawBufferPointer(rebasing: b[(b.count - 32)...]))
    }
    return out
  }
}
