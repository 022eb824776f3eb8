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
  }
}

/// Writes objects into new packs for one command; many tasks may call
/// ``write(_:kind:id:compressor:)`` at once.
///
/// Objects already in the store, or already written in this session, are
/// skipped. A pack is published once it passes ``maximumPackSize``, and the
/// last one by ``finish()``. Until then nothing written is visible, and a
/// crash leaves only temporary files.
///
/// Safe to share across tasks: state is behind a mutex; compression runs
/// outside it, appends inside it.
public final class ObjectWriter: Sendable {
  /// The store written to.
  public let store: ObjectStore
  /// The codec and level new objects are compressed with.
  public let compression: Compression
  /// A pack that reaches this size is published and a new one started.
  public let maximumPackSize: UInt64

  private struct State: ~Copyable {
    var pack: PackWriter?
    /// Full packs waiting for their last in-flight writes before publishing.
    var sealed: [PackWriter] = []
    var written = Set<ObjectID>()
    var statistics = WriteStatistics()
    /// The first failed pack write or publication; ``finish()`` throws it.
    var failure: (any Error)?
    /// Full buffers waiting for the task that is writing (the drainer).
    var queue: [PackWriter.PendingWrite] = []
    /// Whether some task is draining `queue`.
    var draining = false
  }

  /// Past this many queued blocks (1 MiB each) a task writes its own block
  /// instead of queueing it, so memory stays bounded when the disk
  /// is slower than the cores.
  private static let queueLimit = 16

  private let state: Mutex<State>

  /// A writer adding packs to `store`.
  public convenience init(
    store: ObjectStore, compression: Compression, maximumPackSize: UInt64 = 1 << 30
  ) {
    self.init(
      store: store, compression: compression, maximumPackSize: maximumPackSize, skipsStored: true)
  }

  /// A writer that, unless `skipsStored`, writes objects even when the store
  /// already has them — how gc and repack copy objects out of packs they are
  /// about to delete.
  public init(
    store: ObjectStore, compression: Compression, maximumPackSize: UInt64, skipsStored: Bool
  ) {
    self.store = store
    self.compression = compression
    self.maximumPackSize = maximumPackSize
    self.skipsStored = skipsStored
    state = Mutex(State())
  }

  /// Whether objects already in ``store`` are skipped.
  public let skipsStored: Bool

  /// Whether `id` is stored (when ``skipsStored``) or already written in
  /// this session.
  public func contains(_ id: ObjectID) -> Bool {
    state.withLock { $0.written.contains(id) } || (skipsStored && store.contains(id))
  }

  /// Appends an object exactly as `pack` stored it (its compressed bytes,
  /// CRC checked on the way), unless it was already written in this
  /// session; returns whether it was appended.
  @discardableResult
  public func copy(_ entry: PackEntry, from pack: Pack) throws -> Bool {
    if contains(entry.id) { return false }
    let stored = try pack.readStored(entry)
    return try stored.withUnsafeBytes {
      try append(
        id: entry.id, kind: entry.kind, codec: entry.codec, rawLength: Int(entry.rawLength),
        stored: $0)
    }
  }

  /// Appends a record read from elsewhere (a remote's pack) as it is,
  /// after checking its header and CRC-32 against `entry`, unless the
  /// object is already here; returns whether it was appended.
  ///
  /// - Throws: ``ArtError`` `.corruptData` naming `subject`.
  @discardableResult
  public func copy(_ entry: PackEntry, record: UnsafeRawBufferPointer, subject: String) throws
    -> Bool
  {
    if contains(entry.id) { return false }
    try Pack.checkRecord(entry, record, subject: subject)
    return try append(
      id: entry.id, kind: entry.kind, codec: entry.codec, rawLength: Int(entry.rawLength),
      stored: UnsafeRawBufferPointer(rebasing: record[PackFormat.recordHeaderSize...]))
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
    tryCompressing: Bool, policy: CompressionPolicy?
  ) throws -> Bool {
    if contains(id) {
      state.withLock {
        $0.statistics.objectsDeduplicated += 1
        $0.statistics.bytesDeduplicated += UInt64(raw.count)
      }
      return false
    }
    return try compressor.withCompressed(raw, enabled: tryCompressing) {
      (stored, codec) throws -> Bool in
      if tryCompressing, raw.count >= Compressor.minimumSize {
        policy?.record(shrank: codec != .none)
      }
      return try append(id: id, kind: kind, codec: codec, rawLength: raw.count, stored: stored)
    }
  }

  /// Appends one record (`stored`, encoded with `codec`) unless `id` was
  /// written in this session; returns whether it was appended.
  private func append(
    id: ObjectID, kind: ObjectKind, codec: Codec, rawLength: Int, stored: UnsafeRawBufferPointer
  ) throws -> Bool {
    let pending = try state.withLock { (state) throws -> [PackWriter.PendingWrite]? in
      if !state.written.insert(id).inserted { return nil }
      if state.pack == nil { state.pack = try PackWriter(directory: store.directory) }
      guard let pack = state.pack else { return nil }
      let pending = pack.append(
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

  /// Writes `pending` outside the lock.
  ///
  /// One task at a time drains the queue of full blocks while the others go
  /// back to hashing and compressing, so tasks neither wait on the lock
  /// during I/O nor contend on the file.
  private func submit(_ pending: PackWriter.PendingWrite) throws {
    enum Role { case drainer, queued, selfWrite }
    let role = state.withLock { state -> Role in
      if !state.draining {
        state.draining = true
        state.queue.append(pending)
        return .drainer
      }
      if state.queue.count < Self.queueLimit {
        state.queue.append(pending)
        return .queued
      }
      return .selfWrite
    }
    switch role {
    case .queued:
      return
    case .selfWrite:
      do {
        try pending.pack.write(pending)
      } catch {
        state.withLock { $0.failure = $0.failure ?? error }
        complete([pending])
        throw error
      }
      complete([pending])
    case .drainer:
      while true {
        let batch = state.withLock { state -> [PackWriter.PendingWrite] in
          if state.queue.isEmpty { state.draining = false }
          defer { state.queue.removeAll() }
          return state.queue
        }
        if batch.isEmpty { return }
        var failure: (any Error)? = nil
        for write in batch where failure == nil {
          do { try write.pack.write(write) } catch { failure = error }
        }
        if let failure {
          // Recorded before completing, so no pack with a lost write is
          // published; finish() throws it.
          state.withLock { state in
            state.failure = state.failure ?? failure
            state.draining = false
          }
          complete(batch)
          throw failure
        }
        complete(batch)
      }
    }
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
  public func finish() throws -> WriteStatistics {
    try state.withLock { (state) throws -> WriteStatistics in
      if let failure = state.failure { throw failure }
      // Every task has returned, so the last drainer emptied the queue.
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
    state.withLock {
      $0.pack?.abandon()
      $0.pack = nil
      for pack in $0.sealed { pack.abandon() }
      $0.sealed = []
    }
  }
}
