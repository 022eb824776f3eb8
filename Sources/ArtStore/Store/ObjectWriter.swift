import Dispatch
import Synchronization
import SystemPackage

/// Totals for one ``ObjectWriter`` session.
public struct WriteStatistics: Sendable {
  /// Objects appended to new packs.
  public var objectsWritten = 0
  /// Raw bytes of those objects.
  public var rawBytesWritten: UInt64 = 0
  /// Bytes those objects take in the packs.
  public var storedBytesWritten: UInt64 = 0
  /// Objects skipped because they were already stored.
  public var objectsDeduplicated = 0
  /// Raw bytes of the skipped objects.
  public var bytesDeduplicated: UInt64 = 0
  /// Packs published.
  public var packs: [ObjectID] = []
  /// Chunk lists copied from elsewhere and left out, their chunks missing
  /// (see ``ObjectWriter/finish(leavingOutListsWithoutChunks:)``).
  public var chunkListsLeftOut: [ObjectID] = []

  /// Empty totals.
  public init() {}

  /// Adds the totals of another writer.
  public mutating func add(_ other: WriteStatistics) {
    objectsWritten += other.objectsWritten
    rawBytesWritten += other.rawBytesWritten
    storedBytesWritten += other.storedBytesWritten
    objectsDeduplicated += other.objectsDeduplicated
    bytesDeduplicated += other.bytesDeduplicated
    packs += other.packs
    chunkListsLeftOut += other.chunkListsLeftOut
  }
}

/// Writes objects into new packs for one command; many tasks may call
/// ``write(_:kind:id:compressor:)`` at once.
///
/// Objects already in the store, or already written in this session, are
/// skipped. A pack is published once it passes ``maximumPackSize``, and the
/// last one by ``finish(leavingOutListsWithoutChunks:)``. Until then
/// nothing written is visible, and a crash leaves only temporary files.
///
/// With zstd, the write that fills the sample budget also trains a
/// dictionary and tries it (about a tenth of a second, on that task only);
/// see `Docs/FORMAT.md`, "Dictionary". With plain `zstd`, the first 4 MiB
/// of objects that shrink are compressed twice, at levels 1 and 3, to choose
/// the level (``levelTrialBudget``). The dictionary is judged at level 1
/// whatever level the session then settles on.
///
/// Safe to share across tasks: state is behind a mutex; compression runs
/// outside it, appends inside it.
public final class ObjectWriter: Sendable {
  /// The store written to.
  public let store: ObjectStore
  /// The codec and level new objects are compressed with (for plain
  /// `zstd`, the level this session chooses; see ``levelTrialBudget``).
  public let compression: Compression
  /// A pack that reaches this size is published and a new one started.
  public let maximumPackSize: UInt64

  private struct State: ~Copyable {
    var pack: PackWriter?
    /// Full packs waiting for their last in-flight writes before publishing.
    var sealed: [PackWriter] = []
    var written = Set<ObjectID>()
    var statistics = WriteStatistics()
    /// The first failed pack write or publication; ``publishData()`` (and
    /// so ``finish(leavingOutListsWithoutChunks:)``) throws it.
    var failure: (any Error)?
    /// Full blocks waiting for the writing thread.
    var queue: [PackWriter.PendingWrite] = []
    /// Whether a drain of `queue` is running or sent to the writing thread.
    var draining = false
    /// The dictionary small objects are compressed against, once chosen;
    /// every pack that gets such an object holds it.
    var dictionary: ZstdDictionary?
    /// Whether the dictionary is settled: chosen, declined, being trained,
    /// or never wanted (not zstd).
    var dictionarySettled: Bool
    /// Small objects laid end to end to train a dictionary from.
    var samples: [UInt8] = []
    /// The length of each object in `samples`, in order.
    var sampleSizes: [Int] = []
    /// Whether ``ObjectWriter/beforeFirstPack`` has run.
    var preparedForPacks = false
    /// Chunk lists copied from elsewhere, by id, with the name errors give
    /// them: held back until ``ObjectWriter/finish(leavingOutListsWithoutChunks:)`` has
    /// checked them against their chunks.
    var heldChunkLists: [ObjectID: (raw: [UInt8], subject: String)] = [:]
    /// The level trial while it runs (plain `zstd` only).
    var levelTrial: LevelTrial?

    init(compression: Compression) {
      dictionarySettled = compression.codec != .zstd
      levelTrial = compression.choosesLevel ? LevelTrial() : nil
    }
  }

  /// What the objects compressed at both of plain zstd's levels took.
  private struct LevelTrial {
    /// Their raw bytes.
    var raw = 0
    /// Their bytes at ``Compression/defaultZstdLevel``.
    var base = 0
    /// Their bytes at ``Compression/strongerZstdLevel``.
    var stronger = 0
  }

  /// Past this many queued blocks (1 MiB each) a task writes its own block
  /// instead of queueing it, so memory stays bounded when the disk
  /// is slower than the cores: at most twice this many blocks (those
  /// queued and those the writing thread took) and one per task.
  private static let queueLimit = 16

  private let state: Mutex<State>
  /// The writing thread: a serial queue of its own gets a thread outside
  /// the pool the tasks run on, so its waits on the disk take no core.
  ///
  /// Dispatch, which the code otherwise avoids, because a task that waits
  /// in `pwrite` holds one of the pool's threads (as many as cores); the
  /// queue is one thread, and what it is handed is bounded (``queueLimit``).
  private let writes = DispatchQueue(label: "art.pack-writes")
  /// The zstd level a session that ``Compression/choosesLevel`` settled on.
  ///
  /// 0 while its trial runs. Read on every write without the lock.
  private let chosenLevel = Atomic<Int>(0)
  /// Runs once, before this writer starts its first pack (the repository
  /// raises its format there); an error fails that write.
  private let beforeFirstPack: (@Sendable () throws -> Void)?
  /// Compressors for objects copied out of another pack's dictionary.
  private let recompressors: CompressorPool

  /// Objects up to this size are compressed against the session's
  /// dictionary, and are the samples it is trained from.
  public static let dictionaryObjectLimit = 64 << 10
  /// A dictionary is trained once the samples reach this many bytes or
  /// ``sampleCount`` objects; a session that writes fewer small objects
  /// gets none.
  static let sampleBudget = 4 << 20
  /// See ``sampleBudget``: a thousand annotation files of 1 KiB teach
  /// zstd as much as four thousand.
  static let sampleCount = 1_000
  /// With plain `zstd`, objects that shrink are compressed at both levels
  /// until they add up to this many raw bytes; the session then keeps the
  /// stronger level if it stored them at least 2% smaller.
  static let levelTrialBudget = 4 << 20

  /// A writer adding packs to `store`.
  public convenience init(
    store: ObjectStore, compression: Compression, maximumPackSize: UInt64 = 1 << 30,
    beforeFirstPack: (@Sendable () throws -> Void)? = nil
  ) {
    self.init(
      store: store, compression: compression, maximumPackSize: maximumPackSize, skipsStored: true,
      beforeFirstPack: beforeFirstPack)
  }

  /// A writer that, unless `skipsStored`, writes objects even when the store
  /// already has them.
  ///
  /// That is how gc and repack copy objects out of packs they are about to
  /// delete. `beforeFirstPack` runs once, before its first pack. Without
  /// `holdsChunkLists`, chunk lists copied by record are stored as they
  /// come, for remote gc, which copies a remote's objects back to it.
  public init(
    store: ObjectStore, compression: Compression, maximumPackSize: UInt64, skipsStored: Bool,
    holdsChunkLists: Bool = true, beforeFirstPack: (@Sendable () throws -> Void)? = nil
  ) {
    self.holdsChunkLists = holdsChunkLists
    self.beforeFirstPack = beforeFirstPack
    self.store = store
    self.compression = compression
    self.maximumPackSize = maximumPackSize
    self.skipsStored = skipsStored
    state = Mutex(State(compression: compression))
    recompressors = CompressorPool(compression: compression)
  }

  /// Whether objects already in ``store`` are skipped.
  public let skipsStored: Bool
  /// Whether chunk lists copied by record wait for
  /// ``finish(leavingOutListsWithoutChunks:)`` to check them against their
  /// chunks.
  public let holdsChunkLists: Bool

  /// Whether `id` is stored in a readable pack (when ``skipsStored``; see
  /// ``ObjectStore/holdsReadably(_:)``), already written in this session,
  /// or a chunk list held for ``finish(leavingOutListsWithoutChunks:)``.
  public func contains(_ id: ObjectID) -> Bool {
    state.withLock { $0.written.contains(id) || $0.heldChunkLists[id] != nil }
      || (skipsStored && store.holdsReadably(id))
  }

  /// Appends an object exactly as `pack` stored it (its compressed bytes,
  /// CRC checked on the way), unless it was already written in this
  /// session; returns whether it was appended.
  ///
  /// A record compressed against `pack`'s dictionary is copied as it is when
  /// this session uses that dictionary (the first such copy adopts it, if
  /// the session has none yet); otherwise it is decoded, checked and
  /// compressed again.
  @discardableResult
  public func copy(_ entry: PackEntry, from pack: Pack) throws -> Bool {
    if contains(entry.id) { return false }
    if entry.kind == .dictionary { return false }
    var dictionary: ZstdDictionary? = nil
    var codec = entry.codec
    // A plain zstd record of a pack that may hold mislabelled ones is
    // decoded and checked on the way; one compressed against the
    // dictionary (see ``Pack/decoded(_:_:subject:verifyingHash:dictionary:rescue:)``)
    // is copied as what it is.
    if try entry.codec == .zstdDictionary || pack.isMislabelled(entry) {
      let source = try pack.dictionary()
      guard adopt(source) else { return try rewrite(pack.read(entry), entry) }
      dictionary = source
      codec = .zstdDictionary
    }
    let stored = try pack.readStored(entry)
    return try stored.withUnsafeBytes {
      try append(
        id: entry.id, kind: entry.kind, codec: codec, rawLength: Int(entry.rawLength),
        stored: $0, dictionary: dictionary)
    }
  }

  /// Whether this session compresses against `dictionary`: it already
  /// does, or has not settled on one and takes it now.
  private func adopt(_ dictionary: ZstdDictionary) -> Bool {
    state.withLock { state in
      if state.dictionary == nil, !state.dictionarySettled {
        state.dictionary = dictionary
        state.dictionarySettled = true
        state.samples = []
        state.sampleSizes = []
      }
      return state.dictionary?.id == dictionary.id
    }
  }

  /// Writes an object decoded from another pack (its hash already checked)
  /// with this session's codec, and no dictionary: this session's was
  /// trained on other objects and may store it larger than plain zstd.
  private func rewrite(_ raw: [UInt8], _ entry: PackEntry) throws -> Bool {
    try recompressors.withCompressor { compressor in
      try raw.withUnsafeBytes {
        try write(
          $0, kind: entry.kind, id: entry.id, compressor: compressor, tryCompressing: true,
          policy: nil, usesDictionary: false)
      }
    }
  }

  /// Appends a record read from elsewhere (a remote's pack) as it is,
  /// after checking its header, its CRC-32 and that it decodes to bytes
  /// that hash to its id, unless the object is already here; returns
  /// whether it was taken.
  ///
  /// Nothing from elsewhere is stored unchecked: an object kept under an id
  /// its bytes do not hash to would stand, for every later commit of that
  /// content, as the stored copy. A chunk list, named by its file's hash,
  /// is held back and checked against its chunks by
  /// ``finish(leavingOutListsWithoutChunks:)`` (unless not
  /// ``holdsChunkLists``). A record compressed against its pack's
  /// `dictionary` is kept as it is, or compressed again when this session
  /// uses another (see ``copy(_:from:)``).
  ///
  /// - Throws: ``ArtError`` `.corruptData` naming `subject`, also when such a
  ///   record comes without its dictionary.
  @discardableResult
  public func copy(
    _ entry: PackEntry, record: UnsafeRawBufferPointer, subject: String,
    dictionary: ZstdDictionary? = nil
  ) throws -> Bool {
    if contains(entry.id) || entry.kind == .dictionary { return false }
    try Pack.checkRecord(entry, record, subject: subject)
    if entry.codec == .zstdDictionary, dictionary == nil {
      throw ArtError.corrupt(subject, "it is compressed against a dictionary its pack lacks")
    }
    let stored = UnsafeRawBufferPointer(rebasing: record[PackFormat.recordHeaderSize...])
    // A plain zstd record comes with a dictionary only from a pack that may
    // hold mislabelled records (see ``copy(_:from:)``).
    let (raw, rescued) = try Pack.decoded(
      entry, stored, subject: subject, verifyingHash: true,
      dictionary: entry.codec == .zstdDictionary ? dictionary : nil,
      rescue: entry.codec == .zstd ? dictionary : nil)
    if entry.kind == .chunkList, holdsChunkLists {
      _ = try ChunkList(decoding: raw, id: entry.id, subject: subject)
      state.withLock { $0.heldChunkLists[entry.id] = (raw, subject) }
      return true
    }
    var codec = entry.codec
    if let dictionary, entry.codec == .zstdDictionary || rescued {
      guard adopt(dictionary) else { return try rewrite(raw, entry) }
      codec = .zstdDictionary
    }
    return try append(
      id: entry.id, kind: entry.kind, codec: codec, rawLength: Int(entry.rawLength),
      stored: stored, dictionary: codec == .zstdDictionary ? dictionary : nil)
  }

  /// Stores `raw` as object `id` unless it is already present.
  ///
  /// Returns true when the object was newly written.
  @discardableResult
  public func write(
    _ raw: UnsafeRawBufferPointer, kind: ObjectKind, id: ObjectID, compressor: Compressor
  ) throws -> Bool {
    try write(raw, kind: kind, id: id, compressor: compressor, tryCompressing: true, policy: nil)
  }

  @discardableResult
  func write(
    _ raw: UnsafeRawBufferPointer, kind: ObjectKind, id: ObjectID, compressor: Compressor,
    tryCompressing: Bool, policy: CompressionPolicy?, usesDictionary: Bool = true
  ) throws -> Bool {
    if contains(id) {
      try checkStoredKind(id, kind)
      state.withLock {
        $0.statistics.objectsDeduplicated += 1
        $0.statistics.bytesDeduplicated += UInt64(raw.count)
      }
      return false
    }
    let dictionary =
      usesDictionary && tryCompressing
        && (Compressor.minimumSize...Self.dictionaryObjectLimit).contains(raw.count)
      ? dictionary(sampling: raw) : nil
    // A session that chooses its level overrides the compressor's once it
    // has; until then it tries both.
    let chosen = compression.choosesLevel ? chosenLevel.load(ordering: .relaxed) : nil
    if chosen == 0, tryCompressing, raw.count >= Compressor.minimumSize {
      return try writeTryingLevels(
        raw, kind: kind, id: id, compressor: compressor, policy: policy, dictionary: dictionary)
    }
    return try compressor.withCompressed(
      raw, enabled: tryCompressing, dictionary: dictionary, level: chosen == 0 ? nil : chosen
    ) { (stored, codec) throws -> Bool in
      if tryCompressing, raw.count >= Compressor.minimumSize {
        policy?.record(shrank: codec != .none)
      }
      return try append(
        id: id, kind: kind, codec: codec, rawLength: raw.count, stored: stored,
        dictionary: dictionary)
    }
  }

  /// Compresses `raw` at both of plain zstd's levels, stores the smaller,
  /// and counts what each took towards the level trial.
  private func writeTryingLevels(
    _ raw: UnsafeRawBufferPointer, kind: ObjectKind, id: ObjectID, compressor: Compressor,
    policy: CompressionPolicy?, dictionary: ZstdDictionary?
  ) throws -> Bool {
    let base = try compressor.withCompressed(
      raw, dictionary: dictionary, level: Compression.defaultZstdLevel
    ) { stored, codec in codec == .none ? nil : (stored: Array(stored), codec: codec) }
    policy?.record(shrank: base != nil)
    guard let base else {
      // What level 1 cannot shrink by 1/32 is stored raw, outside the trial.
      return try append(id: id, kind: kind, codec: .none, rawLength: raw.count, stored: raw)
    }
    let (appended, stronger) = try compressor.withCompressed(
      raw, dictionary: dictionary, level: Compression.strongerZstdLevel
    ) { (stored, codec) throws -> (Bool, Int) in
      let size = codec == .none ? raw.count : stored.count
      guard codec != .none, stored.count <= base.stored.count else { return (false, size) }
      let appended = try append(
        id: id, kind: kind, codec: codec, rawLength: raw.count, stored: stored,
        dictionary: dictionary)
      return (appended, size)
    }
    var written = appended
    if stronger > base.stored.count {
      written = try base.stored.withUnsafeBytes {
        try append(
          id: id, kind: kind, codec: base.codec, rawLength: raw.count, stored: $0,
          dictionary: dictionary)
      }
    }
    // Counted once, by the task that wrote it.
    if written { countTrial(raw: raw.count, base: base.stored.count, stronger: stronger) }
    return written
  }

  /// Adds one object to the level trial; once the trial has its budget,
  /// settles the session's level.
  private func countTrial(raw: Int, base: Int, stronger: Int) {
    state.withLock { state in
      guard var trial = state.levelTrial else { return }
      trial.raw += raw
      trial.base += base
      trial.stronger += stronger
      guard trial.raw >= Self.levelTrialBudget else {
        state.levelTrial = trial
        return
      }
      state.levelTrial = nil
      chosenLevel.store(
        trial.stronger * 50 <= trial.base * 49
          ? Compression.strongerZstdLevel : Compression.defaultZstdLevel,
        ordering: .relaxed)
    }
  }

  /// The kind `id` is published as in the store, or nil (also for an
  /// object only this session wrote, which is of the kind it was written
  /// as).
  ///
  /// A file's content, which repositories with other chunk sizes store as
  /// a blob or as a chunk list, is recorded as what is stored.
  public func storedKind(_ id: ObjectID) throws -> ObjectKind? {
    if state.withLock({ $0.written.contains(id) }) { return nil }
    return try store.locate(id)?.entry.kind
  }

  /// Refuses to take a stored object of another kind for `id` (a file's
  /// content may be a blob or a chunk list): a remote could plant a file
  /// whose bytes are a folder listing this commit makes, under its id, and
  /// the version would name a folder that reads as a file.
  ///
  /// - Throws: ``ArtError`` `.corruptData` naming the object.
  private func checkStoredKind(_ id: ObjectID, _ kind: ObjectKind) throws {
    guard skipsStored, !state.withLock({ $0.written.contains(id) }),
      let (_, entry) = try store.locate(id), entry.kind != kind,
      !(Set([entry.kind, kind]).isSubset(of: [.blob, .chunkList]))
    else { return }
    throw ArtError(
      .corruptData, "object \(id) is stored as a \(entry.kind), not the \(kind) this needs",
      hint: "it came from a remote or another project; 'art gc --grace 0' deletes its pack when no "
        + "version needs what it holds")
  }

  /// The session's dictionary for a small object; until one is settled,
  /// keeps `raw` as a sample, and the task whose sample fills the budget
  /// trains one and keeps it if it pays.
  private func dictionary(sampling raw: UnsafeRawBufferPointer) -> ZstdDictionary? {
    let (dictionary, full) = state.withLock {
      state -> (ZstdDictionary?, (samples: [UInt8], sizes: [Int])?) in
      if state.dictionarySettled { return (state.dictionary, nil) }
      state.samples.append(contentsOf: raw)
      state.sampleSizes.append(raw.count)
      guard state.samples.count >= Self.sampleBudget || state.sampleSizes.count >= Self.sampleCount
      else { return (nil, nil) }
      state.dictionarySettled = true
      defer {
        state.samples = []
        state.sampleSizes = []
      }
      return (nil, (state.samples, state.sampleSizes))
    }
    guard let full, let trained = worthwhileDictionary(full.samples, full.sizes) else {
      return dictionary
    }
    state.withLock { $0.dictionary = trained }
    return trained
  }

  /// A dictionary trained on the first three quarters of the samples, if it
  /// saves at least 2% on the last quarter (including the bytes it costs
  /// itself, scaled to that quarter): on random or unlike data it does not.
  private func worthwhileDictionary(_ samples: [UInt8], _ sizes: [Int]) -> ZstdDictionary? {
    let trainCount = sizes.count - sizes.count / 4
    let trainBytes = sizes[..<trainCount].reduce(0, +)
    guard trainCount >= 8, trainCount < sizes.count,
      let trained = ZstdDictionary.train(
        samples: Array(samples[..<trainBytes]), sizes: Array(sizes[..<trainCount]))
    else { return nil }
    let compressor = Compressor(compression: compression)
    var plain = 0
    var against = 0
    var offset = trainBytes
    for size in sizes[trainCount...] {
      samples.withUnsafeBytes { all in
        let sample = UnsafeRawBufferPointer(rebasing: all[offset..<offset + size])
        // A sample that fails to compress counts at its raw size either way.
        plain += (try? compressor.withCompressed(sample) { stored, _ in stored.count }) ?? size
        against +=
          (try? compressor.withCompressed(sample, dictionary: trained) { stored, _ in
            stored.count
          }) ?? size
      }
      offset += size
    }
    let dictionaryShare = trained.bytes.count * (samples.count - trainBytes) / samples.count
    return (against + dictionaryShare) * 50 <= plain * 49 ? trained : nil
  }

  /// Appends one record (`stored`, encoded with `codec`) unless `id` was
  /// written in this session; returns whether it was appended.
  ///
  /// A record compressed against `dictionary` goes into a pack that holds
  /// it: the first such record in a pack is preceded by the dictionary.
  /// (Internal, not private, so tests can write records as older builds
  /// did.)
  func append(
    id: ObjectID, kind: ObjectKind, codec: Codec, rawLength: Int, stored: UnsafeRawBufferPointer,
    dictionary: ZstdDictionary? = nil
  ) throws -> Bool {
    let pending = try state.withLock { (state) throws -> [PackWriter.PendingWrite]? in
      if state.written.contains(id) { return nil }
      if state.pack == nil {
        if !state.preparedForPacks {
          try beforeFirstPack?()
          state.preparedForPacks = true
        }
        state.pack = try PackWriter(directory: store.directory)
      }
      guard let pack = state.pack else { return nil }
      var pending: [PackWriter.PendingWrite] = []
      if codec == .zstdDictionary {
        // Callers pass the dictionary they compressed against, which is the
        // session's: it never changes once set.
        precondition(
          dictionary != nil && dictionary?.id == state.dictionary?.id,
          "a record compressed against a dictionary that is not the session's")
        if let dictionary, pack.dictionary == nil {
          pending += dictionary.bytes.withUnsafeBytes {
            pack.append(
              id: dictionary.id, kind: .dictionary, codec: .none,
              rawLength: dictionary.bytes.count, stored: $0)
          }
          pack.dictionary = dictionary.id
          state.statistics.storedBytesWritten += UInt64(dictionary.bytes.count)
        }
      }
      state.written.insert(id)
      pending += pack.append(
        id: id, kind: kind, codec: codec, rawLength: rawLength, stored: stored)
      state.statistics.objectsWritten += 1
      state.statistics.rawBytesWritten += UInt64(rawLength)
      state.statistics.storedBytesWritten += UInt64(stored.count)
      if pack.size >= maximumPackSize {
        state.pack = nil
        state.sealed.append(pack)
        try publishIdleSealedPacks(&state)
      }
      return pending
    }
    guard let pending else { return false }
    for write in pending { try submit(write) }
    return true
  }

  /// Hands `pending` to the writing thread, outside the lock.
  ///
  /// Full blocks are written on a thread of the writer's own (``writes``),
  /// not on the tasks that hash and compress: an `O_DIRECT` write waits for
  /// the disk, and a task waiting there would leave a core idle. Past
  /// ``queueLimit`` queued blocks the task writes its own, so memory stays
  /// bounded when the disk is slower than the cores.
  ///
  /// - Throws: the first failed write of this session, once it is known, so
  ///   the tasks stop instead of compressing what cannot be stored.
  private func submit(_ pending: PackWriter.PendingWrite) throws {
    enum Role { case failed(any Error), queued, drainer, selfWrite }
    let role = state.withLock { state -> Role in
      if let failure = state.failure { return .failed(failure) }
      if state.queue.count >= Self.queueLimit { return .selfWrite }
      state.queue.append(pending)
      if state.draining { return .queued }
      state.draining = true
      return .drainer
    }
    switch role {
    case .failed(let failure):
      complete([pending])
      throw failure
    case .queued:
      return
    case .drainer:
      writes.async { [self] in drain() }
    case .selfWrite:
      do {
        try pending.pack.write(pending)
      } catch {
        state.withLock { $0.failure = $0.failure ?? error }
        complete([pending])
        throw error
      }
      complete([pending])
    }
  }

  /// Writes queued blocks until the queue is empty (on ``writes``).
  ///
  /// After a failed write the rest are dropped, not written: the failure is
  /// recorded before they complete, so no pack with a lost block is
  /// published, and ``publishData()`` throws it.
  private func drain() {
    while true {
      let batch = state.withLock { state -> [PackWriter.PendingWrite] in
        if state.queue.isEmpty { state.draining = false }
        defer { state.queue.removeAll() }
        return state.queue
      }
      if batch.isEmpty { return }
      var failure = state.withLock { $0.failure }
      for write in batch where failure == nil {
        do { try write.pack.write(write) } catch { failure = error }
      }
      if let failure { state.withLock { $0.failure = $0.failure ?? failure } }
      complete(batch)
    }
  }

  /// Waits until the writing thread has written every queued block.
  private func waitForWrites() {
    writes.sync {}
  }

  /// Marks writes done and publishes sealed packs that have none left.
  private func complete(_ writes: [PackWriter.PendingWrite]) {
    state.withLock { state in
      for write in writes { write.pack.completed(write) }
      do {
        try publishIdleSealedPacks(&state)
      } catch {
        state.failure = state.failure ?? error
      }
    }
  }

  private func publishIdleSealedPacks(_ state: inout State) throws {
    if state.failure != nil { return }
    while let index = state.sealed.firstIndex(where: { $0.inFlight == 0 }) {
      let pack = state.sealed.remove(at: index)
      if let packID = try pack.finish() {
        try store.add(packID: packID)
        state.statistics.packs.append(packID)
      }
    }
  }

  /// Stores `raw` under its own SHA-256 and returns that id.
  @discardableResult
  public func write(_ raw: [UInt8], kind: ObjectKind, compressor: Compressor) throws
    -> ObjectID
  {
    let id = ObjectHasher.id(of: raw)
    try raw.withUnsafeBytes { (b) throws in
      _ = try write(b, kind: kind, id: id, compressor: compressor)
    }
    return id
  }

  /// Publishes the last pack and returns the session's totals.
  ///
  /// Chunk lists copied from elsewhere are then checked against their
  /// chunks in the store, and stored in new packs. With
  /// `leavingOutListsWithoutChunks`, a list naming a chunk the store lacks
  /// is left out, since nothing can check it: a fetch of everything takes
  /// the lists of deleted files a remote still holds, whose chunks it may
  /// no longer have.
  ///
  /// - Throws: ``ArtError`` `.corruptData` naming a list whose chunks are
  ///   not its file, or missing; what was published stays (it was
  ///   checked), the lists are not stored.
  public func finish(leavingOutListsWithoutChunks: Bool = false) throws -> WriteStatistics {
    let published = try publishData()
    let held = state.withLock { state in
      defer { state.heldChunkLists = [:] }
      return state.heldChunkLists
    }
    if held.isEmpty { return published }
    try store.refresh()
    let compressor = Compressor(compression: compression)
    for (id, (raw, subject)) in held.sorted(by: { $0.key < $1.key }) {
      let list = try ChunkList(decoding: raw, id: id, subject: subject)
      if leavingOutListsWithoutChunks, !list.chunks.allSatisfy({ store.contains($0.id) }) {
        state.withLock { $0.statistics.chunkListsLeftOut.append(id) }
        continue
      }
      try list.checkContent(subject: subject, readers: Syscalls.processorCount) {
        [store] in try store.read($0, as: .blob)
      }
      try raw.withUnsafeBytes {
        _ = try write($0, kind: .chunkList, id: id, compressor: compressor)
      }
    }
    return try publishData()
  }

  /// Publishes what was written so far, except chunk lists copied from
  /// elsewhere, which wait for ``finish(leavingOutListsWithoutChunks:)``;
  /// returns the totals so far.
  ///
  /// A fetch publishes the objects it read by range this way before it
  /// checks the chunk lists of the packs it downloaded whole, whose chunks
  /// may be among them.
  @discardableResult
  public func publishData() throws -> WriteStatistics {
    waitForWrites()
    return try state.withLock { (state) throws -> WriteStatistics in
      if let failure = state.failure { throw failure }
      // Every task has returned and the writing thread has emptied the queue.
      precondition(state.queue.isEmpty && !state.draining, "finish() while writes are queued")
      try publishIdleSealedPacks(&state)
      if let pack = state.pack {
        state.pack = nil
        if let packID = try pack.finish() {
          try store.add(packID: packID)
          state.statistics.packs.append(packID)
        }
      }
      return state.statistics
    }
  }

  /// Deletes the unpublished pack, if any.
  public func abandon() {
    waitForWrites()
    state.withLock {
      $0.pack?.abandon()
      $0.pack = nil
      for pack in $0.sealed { pack.abandon() }
      $0.sealed = []
    }
  }
}
