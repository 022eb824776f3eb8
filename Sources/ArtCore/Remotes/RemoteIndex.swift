public import ArtStore
import Synchronization
public import SystemPackage

/// The remote's published packs, through local copies of their indexes
/// (`.art/remotes/NAME/indexes/`).
///
/// A remote that got one pack per push has thousands: the indexes are
/// opened only when a lookup needs them, and a combined table (see
/// ``CombinedIndex``) says which pack holds an object, so a push or fetch
/// opens the few packs new since the table was made, not all of them.
public final class RemoteIndex: Sendable {
  /// One pack on the remote.
  public struct PackInfo: Sendable {
    /// Its id.
    public var id: ObjectID
    /// The `.pack` file's size.
    public var size: UInt64
    /// The `.idx` file's size.
    public var indexSize: UInt64
    /// When the later of the two was written (ms since 1970).
    public var modified: Int64
  }

  /// The folder of the local copies of the indexes.
  public let folder: FilePath
  /// Every published pack by id.
  public let packs: [ObjectID: PackInfo]
  /// Packs remote gc found unreachable, with when (ms since 1970); a
  /// later gc deletes them once the grace period has passed.
  public let condemned: [ObjectID: Int64]
  private let combined: CombinedIndex?
  /// Published packs the combined table does not cover, by id.
  private let uncovered: [ObjectID]
  /// Packs opened so far; nil for one whose index could not be opened.
  private let opened = Mutex<[ObjectID: Pack?]>([:])

  /// Packs not covered by the combined table past which it is made again.
  static let uncoveredLimit = 32

  /// The index of `packs`, whose index copies are in `folder`; makes the
  /// combined table again when too many packs are new or gone since.
  ///
  /// - Throws: ``ArtError`` when the table cannot be written.
  init(folder: FilePath, packs: [ObjectID: PackInfo], condemned: [ObjectID: Int64]) throws {
    self.folder = folder
    self.packs = packs
    self.condemned = condemned
    var combined = CombinedIndex(folder: folder)
    let covered = Set(combined?.packIDs ?? [])
    let new = packs.keys.filter { !covered.contains($0) }
    let gone = covered.count { packs[$0] == nil }
    if max(new.count, gone) > Self.uncoveredLimit {
      let all = packs.keys.sorted().compactMap { id in Self.open(id, in: folder) }
      try CombinedIndex.write(all, to: folder)
      combined = CombinedIndex(folder: folder)
      opened.withLock { for pack in all { $0[pack.id] = pack } }
    }
    self.combined = combined
    let nowCovered = Set(combined?.packIDs ?? [])
    uncovered = packs.keys.filter { !nowCovered.contains($0) }.sorted()
  }

  private static func open(_ id: ObjectID, in folder: FilePath) -> Pack? {
    guard let pack = try? Pack(indexPath: folder.appending(PackFormat.indexName(id))),
      pack.id == id
    else { return nil }
    return pack
  }

  /// Published pack `id`, its index opened on first use; nil when it is not
  /// published or its index copy cannot be opened.
  public func pack(_ id: ObjectID) -> Pack? {
    guard packs[id] != nil else { return nil }
    if let known = opened.withLock({ $0[id] }) { return known }
    let pack = Self.open(id, in: folder)
    opened.withLock { $0[id] = pack }
    return pack
  }

  /// Every published pack whose index opens, sorted by id (each opened).
  public var allPacks: [Pack] { packs.keys.sorted().compactMap(pack) }

  /// Where `id` is on the remote: first in the packs the combined table
  /// names and those it does not cover; when `everywhere`, then in every
  /// other pack too (a table that missed it costs time, never an answer).
  private func find(_ id: ObjectID, keptOnly: Bool, everywhere: Bool) throws
    -> (pack: Pack, entry: PackEntry)?
  {
    var asked = Set<ObjectID>()
    func look(_ candidates: some Sequence<ObjectID>) throws -> (Pack, PackEntry)? {
      for packID in candidates where asked.insert(packID).inserted {
        guard !keptOnly || condemned[packID] == nil, let pack = pack(packID),
          let position = pack.index.position(of: id)
        else { continue }
        return (pack, try pack.index.entry(at: position))
      }
      return nil
    }
    if let found = try look((combined?.packs(holding: id) ?? []) + uncovered) { return found }
    return everywhere && combined != nil ? try look(packs.keys.sorted()) : nil
  }

  /// Whether the remote has object `id` (every pack asked on a miss).
  public func contains(_ id: ObjectID) -> Bool {
    (try? find(id, keptOnly: false, everywhere: true)) != nil
  }

  /// Whether the remote has object `id` in a pack gc has not condemned:
  /// what a push may count on (a condemned pack may be deleted before the
  /// push's refs name it).
  ///
  /// A miss is not looked for in packs the combined table says lack it: a
  /// table that is wrong costs at most a duplicate upload, and a hit is
  /// always the pack's own index.
  public func containsKept(_ id: ObjectID) -> Bool {
    (try? find(id, keptOnly: true, everywhere: false)) != nil
  }

  /// The pack and entry of `id` on the remote, or nil.
  ///
  /// - Throws: ``ArtError`` `.corruptData` for a damaged index entry.
  public func locate(_ id: ObjectID) throws -> (pack: Pack, entry: PackEntry)? {
    try find(id, keptOnly: false, everywhere: true)
  }
}

/// `.art/remotes/NAME/indexes/combined`: which of the remote's packs holds
/// each object, for the packs listed in it.
///
/// Made from the local index copies, never from the remote, and only a
/// hint: every hit is checked in the pack's own index before it is used,
/// and a lookup that must not miss asks every pack. Layout, integers
/// little-endian: magic `ARTCMB1\0`, u32 pack count P, u32 zero, u64 entry
/// count N, P pack ids (32 bytes each), then N entries sorted by object id:
/// the 32-byte id and the u32 position of its pack in the list.
struct CombinedIndex {
  static let fileName = "combined"
  static let magic: [UInt8] = Array("ARTCMB1\0".utf8)
  static let headerSize = 24
  static let entrySize = 36

  /// The packs it covers.
  let packIDs: [ObjectID]
  private let file: MappedFile
  private let count: Int
  private let entriesOffset: Int

  /// The table in `folder`, or nil when there is none or it is not
  /// well formed.
  init?(folder: FilePath) {
    guard let file = try? MappedFile(path: folder.appending(Self.fileName)) else { return nil }
    let shape = file.withUnsafeBytes { b -> (Int, Int, [ObjectID])? in
      guard b.count >= Self.headerSize, b.prefix(8).elementsEqual(Self.magic) else { return nil }
      let packCount = Int(b.littleEndian(at: 8, as: UInt32.self))
      let entries = b.littleEndian(at: 16, as: UInt64.self)
      guard entries < UInt64(Int32.max),
        b.count == Self.headerSize + packCount * 32 + Int(entries) * Self.entrySize
      else { return nil }
      let ids = (0..<packCount).map { i in
        ObjectID(bytes: UnsafeRawBufferPointer(rebasing: b[(24 + 32 * i)..<(56 + 32 * i)]))
      }
      return (Int(entries), Self.headerSize + packCount * 32, ids)
    }
    guard let (count, offset, ids) = shape else { return nil }
    self.file = file
    self.count = count
    entriesOffset = offset
    packIDs = ids
  }

  /// The packs the table says hold `id`.
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

  /// Writes the table of `packs` into `folder` (whole, by rename).
  ///
  /// - Throws: ``ArtError`` when it cannot be written.
  static func write(_ packs: [Pack], to folder: FilePath) throws {
    var entries: [(id: ObjectID, pack: UInt32)] = []
    for (position, pack) in packs.enumerated() {
      for i in 0..<pack.index.count where i != pack.index.dictionaryPosition {
        entries.append((pack.index.id(at: i), UInt32(position)))
      }
    }
    entries.sort { ($0.id, $0.pack) < ($1.id, $1.pack) }
    var bytes = magic
    bytes.reserveCapacity(headerSize + packs.count * 32 + entries.count * entrySize)
    func append<T: FixedWidthInteger>(_ value: T) {
      withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
    append(UInt32(packs.count))
    append(UInt32(0))
    append(UInt64(entries.count))
    for pack in packs { bytes += pack.id.bytes }
    for entry in entries {
      bytes += entry.id.bytes
      append(entry.pack)
    }
    try AtomicFile.write(bytes, to: folder.appending(fileName), durable: false)
  }
}
