import ArtStore
import SystemPackage

/// `.art/remotes/NAME/packs/combined`: which of the remote's packs holds
/// each object, for the packs listed in it.
///
/// Made here from the local index copies, never taken from the remote, and
/// only a hint: every hit is checked in the pack's own index before it is
/// used, and a lookup that must not miss asks every pack. Integers are
/// little-endian:
///
/// | offset    | size   | content                                                  |
/// |-----------|--------|----------------------------------------------------------|
/// | 0         | 8      | magic `ARTCMB1\0`                                        |
/// | 8         | 4      | P, the packs it covers                                   |
/// | 12        | 4      | zero                                                     |
/// | 16        | 8      | N, the entries                                           |
/// | 24        | 32 × P | the pack ids                                             |
/// | 24 + 32P  | 36 × N | entries sorted by object id: the id, then the u32        |
/// |           |        | position of its pack among the P                         |
struct CombinedTable {
  /// The file's name in the folder of index copies.
  static let fileName = "combined"
  static let magic: [UInt8] = Array("ARTCMB1\0".utf8)
  static let headerSize = 24
  static let entrySize = 36

  /// The packs it covers (those whose index copy would not open too, with
  /// no entries, so they do not count as new every time).
  let packIDs: [ObjectID]
  private let file: MappedFile
  private let count: Int
  private let entriesOffset: Int

  /// The table in `folder`, or nil when there is none or it is not well
  /// formed.
  init?(folder: FilePath) {
    guard let file = try? MappedFile(path: folder.appending(Self.fileName)) else { return nil }
    let shape = file.withUnsafeBytes { b -> (Int, Int, [ObjectID])? in
      guard b.count >= Self.headerSize, b.prefix(8).elementsEqual(Self.magic),
        b.littleEndian(at: 12, as: UInt32.self) == 0
      else { return nil }
      // Both counts are bounded by the file's size before any is used.
      let packCount = UInt64(b.littleEndian(at: 8, as: UInt32.self))
      let entries = b.littleEndian(at: 16, as: UInt64.self)
      guard entries <= UInt64(b.count) / UInt64(Self.entrySize),
        UInt64(b.count)
          == UInt64(Self.headerSize) + packCount * 32 + entries * UInt64(Self.entrySize)
      else { return nil }
      let ids = (0..<Int(packCount)).map { i in
        let start = Self.headerSize + 32 * i
        return ObjectID(bytes: UnsafeRawBufferPointer(rebasing: b[start..<start + 32]))
      }
      return (Int(entries), Self.headerSize + Int(packCount) * 32, ids)
    }
    guard let (count, offset, ids) = shape else { return nil }
    self.file = file
    self.count = count
    entriesOffset = offset
    packIDs = ids
  }

  /// The packs the table says hold `id`; a position past the pack list is
  /// left out.
  func packs(holding id: ObjectID) -> [ObjectID] {
    file.withUnsafeBytes { b in
      func key(_ i: Int) -> ObjectID {
        let start = entriesOffset + i * Self.entrySize
        return ObjectID(bytes: UnsafeRawBufferPointer(rebasing: b[start..<start + 32]))
      }
      var (low, high) = (0, count)
      while low < high {
        let middle = (low + high) / 2
        if key(middle) < id { low = middle + 1 } else { high = middle }
      }
      var found: [ObjectID] = []
      while low < count, key(low) == id {
        let position = Int(
          b.littleEndian(at: entriesOffset + low * Self.entrySize + 32, as: UInt32.self))
        if position < packIDs.count { found.append(packIDs[position]) }
        low += 1
      }
      return found
    }
  }

  /// Writes the table of packs `ids` into `folder` (whole, by rename), with
  /// the objects of those in `opened`.
  ///
  /// - Throws: ``ArtError`` when it cannot be written.
  static func write(_ ids: [ObjectID], opened: [ObjectID: Pack], to folder: FilePath) throws {
    var entries: [(id: ObjectID, pack: UInt32)] = []
    for (position, id) in ids.enumerated() {
      guard let pack = opened[id] else { continue }
      entries += pack.index.objectIDs.map { ($0, UInt32(position)) }
    }
    entries.sort { ($0.id, $0.pack) < ($1.id, $1.pack) }
    let size = headerSize + ids.count * 32 + entries.count * entrySize
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
      let b = UnsafeMutableRawBufferPointer(buffer)
      magic.withUnsafeBytes { b.copyMemory(from: $0) }
      b.storeBytes(of: UInt32(ids.count).littleEndian, toByteOffset: 8, as: UInt32.self)
      b.storeBytes(of: UInt32(0), toByteOffset: 12, as: UInt32.self)
      b.storeBytes(of: UInt64(entries.count).littleEndian, toByteOffset: 16, as: UInt64.self)
      for (i, id) in ids.enumerated() {
        let start = headerSize + 32 * i
        id.write(to: UnsafeMutableRawBufferPointer(rebasing: b[start..<start + 32]))
      }
      for (i, entry) in entries.enumerated() {
        let start = headerSize + ids.count * 32 + i * entrySize
        entry.id.write(to: UnsafeMutableRawBufferPointer(rebasing: b[start..<start + 32]))
        b.storeBytes(of: entry.pack.littleEndian, toByteOffset: start + 32, as: UInt32.self)
      }
      initialized = size
    }
    try AtomicFile.write(bytes, to: folder.appending(fileName), durable: false)
  }
}
