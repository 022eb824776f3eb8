import Synchronization
public import SystemPackage

/// Every published pack in one folder, searched as one store of objects.
///
/// Safe to share across tasks: the pack list is behind a mutex, the hint
/// of which pack answered last is atomic, and packs themselves are
/// immutable.
public final class ObjectStore: Sendable {
  /// The folder holding `pack-<id>.pack` and `pack-<id>.idx` files.
  public let directory: FilePath
  private let packs: Mutex<PackList>

  /// The packs twice over: by id for listings, largest first for lookups.
  private struct PackList {
    private(set) var byID: [Pack]
    /// Most objects sit in the few large packs that merges made, so a
    /// lookup that asks them first seldom asks the many small ones.
    private(set) var largestFirst: [Pack]

    init(_ packs: [Pack]) {
      byID = packs.sorted { $0.id < $1.id }
      largestFirst = packs.sorted { ($0.index.count, $0.id) > ($1.index.count, $1.id) }
    }

    mutating func update(_ change: (inout [Pack]) -> Void) {
      var packs = byID
      change(&packs)
      self = PackList(packs)
    }
  }
  /// Packs that could not be opened, with why; their objects are unreadable
  /// and every lookup that misses names them.
  public let damagedPacks: [(path: FilePath, error: ArtError)]

  /// Opens every pack in `directory` whose index has been published.
  ///
  /// A pack that fails to open is listed in ``damagedPacks`` rather than
  /// failing every command, so `verify-pack` and reads of other packs work.
  ///
  /// - Throws: ``ArtError`` when the folder cannot be listed.
  public init(directory: FilePath) throws {
    self.directory = directory
    var opened: [Pack] = []
    var damaged: [(FilePath, ArtError)] = []
    for name in try directoryEntries(directory) {
      guard let text = String(validating: name, as: UTF8.self),
        PackFormat.packID(indexName: text) != nil
      else { continue }
      let path = directory.appending(text)
      do {
        opened.append(try Self.open(path, name: text))
      } catch let error as ArtError {
        damaged.append((path, error))
      }
    }
    packs = Mutex(PackList(opened))
    damagedPacks = damaged
  }

  /// Opens the pack whose index is at `path`, called `name`.
  ///
  /// - Throws: ``ArtError`` `.corruptData` when the index is damaged or
  ///   holds another pack's id than its name says (renamed by hand or by
  ///   an attacker: deleting "its" pack would then delete another's).
  package static func open(_ path: FilePath, name: String) throws -> Pack {
    let pack = try Pack(indexPath: path)
    guard PackFormat.packID(indexName: name) == pack.id else {
      throw ArtError.corrupt(
        path.string,
        "it is the index of pack \(pack.id.hex.prefix(12)), not of the pack its name says")
    }
    return pack
  }

  /// Paths of every published index, sound or not, sorted.
  public func indexPaths() throws -> [FilePath] {
    try directoryEntries(directory).compactMap { name -> FilePath? in
      guard let text = String(validating: name, as: UTF8.self),
        PackFormat.packID(indexName: text) != nil
      else { return nil }
      return directory.appending(text)
    }.sorted { $0.string < $1.string }
  }

  /// The packs, sorted by id.
  public var allPacks: [Pack] { packs.withLock { $0.byID } }

  /// Makes a newly published pack visible to lookups.
  func add(packID: ObjectID) throws {
    if packs.withLock({ $0.byID.contains { $0.id == packID } }) { return }
    let name = PackFormat.indexName(packID)
    let pack = try Self.open(directory.appending(name), name: name)
    packs.withLock { list in
      if !list.byID.contains(where: { $0.id == packID }) { list.update { $0.append(pack) } }
    }
  }

  /// Opens pack `packID` again once its files were put back (a fetch
  /// brought back one whose `.pack` was lost): the ``Pack`` open before
  /// remembers the damage.
  package func reopen(packID: ObjectID) throws {
    packs.withLock { list in list.update { $0.removeAll { $0.id == packID } } }
    try add(packID: packID)
  }

  /// Unpublishes and deletes `packs`: each index first (which hides the
  /// pack), then the pack, then the folder is synced.
  ///
  /// Only for a caller that holds the repository lock exclusively and has
  /// copied elsewhere every object it still needs from them.
  public func delete(_ doomed: [Pack]) throws {
    let ids = Set(doomed.map(\.id))
    packs.withLock { list in list.update { $0.removeAll { ids.contains($0.id) } } }
    for pack in doomed {
      try Syscalls.unlink(directory.appending(PackFormat.indexName(pack.id)))
      try Syscalls.unlink(pack.path)
    }
    if !doomed.isEmpty { try Syscalls.syncDirectory(directory) }
  }

  /// Where `id` is stored, or nil.
  ///
  /// On a miss, the folder is listed again once: another process may have
  /// published a pack since this store was opened (a concurrent commit
  /// whose version this one now reads).
  public func locate(_ id: ObjectID) throws -> (pack: Pack, entry: PackEntry)? {
    if let found = try search(id) { return found }
    return try refresh() ? search(id) : nil
  }

  private func search(_ id: ObjectID) throws -> (pack: Pack, entry: PackEntry)? {
    let packs = self.packs.withLock { $0.largestFirst }
    guard let (index, position) = find(id, in: packs) else { return nil }
    return (packs[index], try packs[index].index.entry(at: position))
  }

  /// The pack that answered the last lookup (its place largest first):
  /// the objects of one version mostly sit together, so a walk that asks
  /// it first seldom asks the others.
  private let lastHit = Atomic<Int>(0)

  /// Which of `packs` holds `id`, and where in its index.
  private func find(_ id: ObjectID, in packs: [Pack]) -> (pack: Int, position: Int)? {
    let hint = lastHit.load(ordering: .relaxed)
    if hint < packs.count, let position = packs[hint].index.position(of: id) {
      return (hint, position)
    }
    for (index, pack) in packs.enumerated() where index != hint {
      if let position = pack.index.position(of: id) {
        lastHit.store(index, ordering: .relaxed)
        return (index, position)
      }
    }
    return nil
  }

  /// Opens packs published since this store was opened; returns whether
  /// there were any.
  @discardableResult
  public func refresh() throws -> Bool {
    let known = Set(allPacks.map(\.id))
    var added = false
    for name in try directoryEntries(directory) {
      guard let text = String(validating: name, as: UTF8.self),
        let packID = PackFormat.packID(indexName: text), !known.contains(packID)
      else { continue }
      // A pack that cannot be opened now stays out; lookups report misses.
      if (try? add(packID: packID)) != nil { added = true }
    }
    return added
  }

  /// Whether pack `id` is published here and its file looks whole
  /// (``Pack/fileLooksWhole``): a pack never changes, so what it held is
  /// still stored.
  public func holdsWholePack(_ id: ObjectID) -> Bool {
    let pack = packs.withLock { list -> Pack? in
      let packs = list.byID
      var (low, high) = (0, packs.count)
      while low < high {
        let middle = (low + high) / 2
        if packs[middle].id < id { low = middle + 1 } else { high = middle }
      }
      return low < packs.count && packs[low].id == id ? packs[low] : nil
    }
    return pack?.fileLooksWhole == true
  }

  /// Whether `id` is stored.
  public func contains(_ id: ObjectID) -> Bool {
    find(id, in: packs.withLock { $0.largestFirst }) != nil
  }

  /// Whether `id` is stored in a pack whose file looks whole
  /// (``Pack/fileLooksWhole``): what a writer may leave unwritten.
  ///
  /// An index whose pack was deleted or cut short still lists its
  /// objects; a new version that counted on them could never be checked
  /// out, so they are written again (and reads find that copy).
  public func holdsReadably(_ id: ObjectID) -> Bool {
    let packs = self.packs.withLock { $0.largestFirst }
    guard let (index, _) = find(id, in: packs) else { return false }
    if packs[index].fileLooksWhole { return true }
    return packs.contains { $0.index.position(of: id) != nil && $0.fileLooksWhole }
  }

  /// Whether some pack's file is missing or not the size its index
  /// records (one `stat` per pack, once per process).
  public var hasBrokenPackFile: Bool { allPacks.contains { !$0.fileLooksWhole } }

  /// The kind and raw length of `id`, from the index only.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` when it is missing.
  public func entry(_ id: ObjectID) throws -> PackEntry {
    guard let (_, entry) = try locate(id) else { throw missing(id) }
    return entry
  }

  /// Reads and verifies the object `id`.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` when it is missing or
  ///   fails a check (naming the pack and the id); never returns bytes that
  ///   failed a check.
  public func read(_ id: ObjectID, verifyingHash: Bool = true) throws
    -> (kind: ObjectKind, bytes: [UInt8])
  {
    guard let (pack, entry) = try locate(id) else { throw missing(id) }
    do {
      return (entry.kind, try pack.read(entry, verifyingHash: verifyingHash))
    } catch {
      // Another pack may hold a good copy (a repack or fetch left two).
      for other in allPacks where other.id != pack.id {
        guard let position = other.index.position(of: id),
          let otherEntry = try? other.index.entry(at: position),
          let bytes = try? other.read(otherEntry, verifyingHash: true)
        else { continue }
        return (otherEntry.kind, bytes)
      }
      throw error
    }
  }

  /// Reads `id` and checks it has `kind` (see ``read(_:verifyingHash:)``).
  public func read(_ id: ObjectID, as kind: ObjectKind, verifyingHash: Bool = true) throws
    -> [UInt8]
  {
    let (found, bytes) = try read(id, verifyingHash: verifyingHash)
    guard found == kind else {
      throw ArtError(
        .invalidArgument, "object \(id) is a \(found), not a \(kind)",
        hint: "give the id of a \(kind); 'art cat-object -t ID' prints an object's type")
    }
    return bytes
  }

  /// The one stored id that starts with `prefix`.
  ///
  /// - Throws: ``ArtError`` with code `.notFound`, or `.ambiguous` listing the
  ///   candidates.
  public func resolve(_ prefix: ObjectIDPrefix) throws -> ObjectID {
    var found = Set<ObjectID>()
    for pack in allPacks { found.formUnion(pack.index.ids(matching: prefix)) }
    if found.isEmpty, try refresh() {
      for pack in allPacks { found.formUnion(pack.index.ids(matching: prefix)) }
    }
    if found.count == 1, let id = found.first { return id }
    if found.isEmpty {
      throw ArtError(
        .notFound, "no object with id '\(prefix)'",
        hint: "list objects with 'art verify-pack -v'")
    }
    let list = found.sorted().prefix(10).map { "  \($0.hex) \(kindName($0))" }
    throw ArtError(
      .ambiguous,
      "object id '\(prefix)' is ambiguous; candidates:\n" + list.joined(separator: "\n"),
      hint: "give more hex digits")
  }

  private func kindName(_ id: ObjectID) -> String {
    ((try? locate(id)) ?? nil).map { "\($0.entry.kind)" } ?? ""
  }

  func missing(_ id: ObjectID) -> ArtError {
    if let (path, error) = damagedPacks.first {
      return ArtError(
        .corruptData,
        "object \(id) was not found, and pack index '\(path)' cannot be read: \(error.message)",
        hint: "run 'art verify-pack' to list every damaged pack")
    }
    // An exact id comes from inside the store (a manifest, a record, refs):
    // ids a user types are resolved first. Missing, it is damage.
    return ArtError(
      .corruptData, "object \(id) is not in the repository",
      hint: "run 'art fsck -v' to see what needs it; 'art fetch REMOTE' brings it back if a "
        + "remote has it")
  }
}
