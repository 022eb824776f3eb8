public import ArtStore
import Synchronization
public import SystemPackage

/// The remote's published packs, through local copies of their indexes
/// (`.art/remotes/NAME/packs/`).
///
/// A remote that got one pack per push has thousands: the indexes are
/// opened only when a lookup needs them, and a combined table (see
/// ``CombinedTable``) says which pack holds an object, so a push or fetch
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
  /// The combined table, until a hit it gave is not in the pack it named.
  private let table: Mutex<CombinedTable?>
  /// Published packs the table does not cover, kept ones first.
  private let uncovered: [ObjectID]
  /// Every published pack, kept ones first: where a lookup that must not
  /// miss looks last.
  private let everyPack: [ObjectID]
  /// Packs opened so far; nil for one whose index could not be opened.
  private let opened = Mutex<[ObjectID: Pack?]>([:])

  /// Packs new since the combined table (or gone since) past which it is
  /// made again.
  static let uncoveredLimit = 32

  /// The index of `packs`, whose index copies are in `folder`; makes the
  /// combined table again when too many packs are new or gone since (a
  /// table that cannot be written is done without).
  init(folder: FilePath, packs: [ObjectID: PackInfo], condemned: [ObjectID: Int64]) {
    self.folder = folder
    self.packs = packs
    self.condemned = condemned
    var table = CombinedTable(folder: folder)
    let covered = Set(table?.packIDs ?? [])
    let new = packs.keys.count { !covered.contains($0) }
    let gone = covered.count { packs[$0] == nil }
    var opened: [ObjectID: Pack?] = [:]
    if max(new, gone) > Self.uncoveredLimit {
      let ids = packs.keys.sorted()
      for id in ids { opened[id] = Self.open(id, in: folder) }
      if (try? CombinedTable.write(ids, opened: opened.compactMapValues { $0 }, to: folder))
        != nil
      {
        table = CombinedTable(folder: folder)
      }
    }
    self.opened.withLock { $0 = opened }
    self.table = Mutex(table)
    // Kept packs before condemned ones: those a gc is about to delete are
    // read only for what no other pack holds.
    let keptFirst = packs.keys.sorted { Self.keptFirst($0, $1, condemned) }
    let nowCovered = Set(table?.packIDs ?? [])
    uncovered = keptFirst.filter { !nowCovered.contains($0) }
    everyPack = keptFirst
  }

  /// Pack order for lookups: packs gc has not condemned first, then by id.
  private static func keptFirst(_ a: ObjectID, _ b: ObjectID, _ condemned: [ObjectID: Int64])
    -> Bool
  {
    let (x, y) = (condemned[a] == nil ? 0 : 1, condemned[b] == nil ? 0 : 1)
    return (x, a) < (y, b)
  }

  private static func open(_ id: ObjectID, in folder: FilePath) -> Pack? {
    let name = PackFormat.indexName(id)
    return try? ObjectStore.open(folder.appending(name), name: name)
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

  /// The pack holding `id` and its position there.
  ///
  /// First among the packs the combined table names and those it does not
  /// cover; when `everywhere`, then in every other pack too (a table that
  /// missed it costs time, never an answer). Kept packs are asked before
  /// condemned ones, and with `keptOnly` condemned ones not at all.
  private func find(_ id: ObjectID, keptOnly: Bool, everywhere: Bool) -> (Pack, Int)? {
    var asked = Set<ObjectID>()
    var missed = 0
    func look(_ candidates: [ObjectID]) -> (Pack, Int)? {
      for packID in candidates where !keptOnly || condemned[packID] == nil {
        guard asked.insert(packID).inserted, let pack = pack(packID) else { continue }
        if let position = pack.index.position(of: id) { return (pack, position) }
        missed += 1
      }
      return nil
    }
    let named = table.withLock { $0?.packs(holding: id) } ?? []
    if let found = look(named.sorted { Self.keptFirst($0, $1, condemned) }) {
      return found
    }
    // A pack the table names does not hold the object: the table is
    // wrong, so it goes, and a later command makes it again.
    if missed > 0 { dropTable() }
    if let found = look(uncovered) { return found }
    return everywhere ? look(everyPack) : nil
  }

  private func dropTable() {
    table.withLock { $0 = nil }
    try? Syscalls.unlink(folder.appending(CombinedTable.fileName))
  }

  /// Whether the remote has object `id` (every pack asked on a miss).
  public func contains(_ id: ObjectID) -> Bool {
    find(id, keptOnly: false, everywhere: true) != nil
  }

  /// Whether the remote has object `id` in a pack gc has not condemned:
  /// what a push may count on (a condemned pack may be deleted before the
  /// push's refs name it).
  ///
  /// Without `everywhere`, a miss is not looked for in packs the combined
  /// table says lack it: a wrong table costs a push at most a duplicate
  /// upload, and a hit is always the pack's own index.
  public func containsKept(_ id: ObjectID, everywhere: Bool = false) -> Bool {
    find(id, keptOnly: true, everywhere: everywhere) != nil
  }

  /// The pack and entry of `id` on the remote, or nil (every pack asked).
  ///
  /// - Throws: ``ArtError`` `.corruptData` for a damaged index entry.
  public func locate(_ id: ObjectID) throws -> (pack: Pack, entry: PackEntry)? {
    guard let (pack, position) = find(id, keptOnly: false, everywhere: true) else { return nil }
    return (pack, try pack.index.entry(at: position))
  }
}
