/// A window buffer, shared read-only with the chunk and hash tasks.
struct WindowBytes: @unchecked Sendable {
  // @unchecked: the storer does not write to the buffer while those tasks
  // run; it awaits them all before refilling it.
  let buffer: UnsafeRawBufferPointer
}

/// The whole-file hash, updated by one window's hash task at a time.
final class HasherBox: @unchecked Sendable {
  // @unchecked: the pipeline starts a window's hash task only once the one
  // before has finished, and finalizes after the last, so no two tasks
  // touch the hasher at once.
  /// Whether chunks are hashed here, alongside the file (``PairedSHA256``).
  let pairs: Bool
  private var plain = ObjectHasher()
  private var paired = PairedSHA256()

  /// A hash that, with `pairs`, also hashes the chunks (``PairedSHA256``).
  init(pairs: Bool) { self.pairs = pairs }

  /// Adds the bytes the chunks at `cuts` cover, in order, to the file's hash;
  /// with ``PairedSHA256``, hashes each chunk in the same pass and returns
  /// their ids.
  func update(_ window: WindowBytes, cuts: [Range<Int>]) -> [ObjectID]? {
    guard pairs else {
      let count = cuts.last?.upperBound ?? 0
      plain.update(UnsafeRawBufferPointer(rebasing: window.buffer[0..<count]))
      return nil
    }
    return cuts.map { range in
      let bytes = UnsafeRawBufferPointer(rebasing: window.buffer[range])
      var chunk = PairedSHA256()
      PairedSHA256.update(&paired, bytes, &chunk, bytes)
      return chunk.finalize()
    }
  }

  func finalize() -> ObjectID { pairs ? paired.finalize() : plain.finalize() }
}

/// The tasks of the windows in flight, and what they found: a task per
/// chunk (compress and append, after hashing unless the hash task did), and
/// one hash task at a time adding a whole window to the file's hash, in
/// window order.
///
/// Where ``PairedSHA256`` runs, the hash task hashes each chunk alongside
/// the file, and a window's chunk tasks start once it has. A window's
/// buffer is free again once all of its tasks have finished.
///
/// The group is wider than the core count, by design and with a bound: it
/// holds the tasks of at most three windows (a window of 4 × max bytes has
/// at most 4 × max ÷ min chunks: 64 with the default sizes), each a chunk's
/// hash, compression and append with no buffer of its own, and the pool
/// runs as many at once as there are cores. A fixed set of workers would
/// need a queue between them and the reader, or the pause at each
/// window's end that this pipeline exists to remove.
///
/// Chunk tasks do not stop when the group is cancelled (a read failed, or
/// another chunk's write): their chunks are written all the same, garbage
/// for gc, up to three windows of them.
struct WindowPipeline {
  /// What a task reports.
  enum Finished: Sendable {
    /// Chunk `index` of the file, from buffer `window`, is stored as `id`.
    case chunk(index: Int, id: ObjectID, window: Int)
    /// Buffer `window` is in the file's hash; `chunkIDs` are its chunks'
    /// ids when the hash task worked them out.
    case hashed(window: Int, chunkIDs: [ObjectID]?)
  }

  typealias Group = ThrowingTaskGroup<Finished, any Error>

  let writer: ObjectWriter
  let compressors: CompressorPool
  let onBytesStored: (@Sendable (Int) -> Void)?
  private let policy = CompressionPolicy()
  private let hasher: HasherBox
  /// Per buffer: its window, its chunks' ranges, and the file index of its
  /// first chunk.
  private var windows: [(bytes: WindowBytes, cuts: [Range<Int>], firstIndex: Int)?]
  /// Per buffer, its window's tasks not finished yet.
  private var unfinished: [Int]
  /// Buffers waiting for the hash task, oldest first.
  private var unhashed: [Int] = []
  private var hashing = false
  private var sizes: [UInt64] = []
  private var ids: [ObjectID?] = []

  init(
    writer: ObjectWriter, compressors: CompressorPool, windows: Int, pairsHashes: Bool,
    onBytesStored: (@Sendable (Int) -> Void)?
  ) {
    self.writer = writer
    self.compressors = compressors
    self.onBytesStored = onBytesStored
    hasher = HasherBox(pairs: pairsHashes)
    self.windows = Array(repeating: nil, count: windows)
    unfinished = Array(repeating: 0, count: windows)
  }

  /// Starts the tasks of the chunks at `cuts` of buffer `number`, which
  /// must be free; its hash follows the windows started before it.
  mutating func start(
    _ cuts: [Range<Int>], of window: WindowBytes, number: Int, in group: inout Group
  ) {
    precondition(unfinished[number] == 0, "window buffer \(number) is still in use")
    windows[number] = (window, cuts, sizes.count)
    unfinished[number] = cuts.count + 1
    sizes += cuts.map { UInt64($0.count) }
    ids += repeatElement(nil, count: cuts.count)
    // The hash goes first: it is the one task that must keep pace.
    unhashed.append(number)
    startHash(in: &group)
    if !hasher.pairs { startChunks(of: number, ids: nil, in: &group) }
  }

  /// Starts the chunk tasks of buffer `number`; without `ids`, each task
  /// hashes its chunk.
  private func startChunks(of number: Int, ids: [ObjectID]?, in group: inout Group) {
    guard let (window, cuts, firstIndex) = windows[number] else { return }
    let (writer, compressors, policy) = (self.writer, self.compressors, self.policy)
    for (offset, range) in cuts.enumerated() {
      let index = firstIndex + offset
      let known = ids?[offset]
      group.addTask {
        try compressors.withCompressor { compressor in
          let chunk = UnsafeRawBufferPointer(rebasing: window.buffer[range])
          let id = known ?? ObjectHasher.id(of: chunk)
          try writer.write(
            chunk, kind: .blob, id: id, compressor: compressor,
            tryCompressing: policy.shouldTry(index: index), policy: policy)
          return .chunk(index: index, id: id, window: number)
        }
      }
    }
  }

  /// Takes in finished tasks until buffer `number` is free.
  mutating func waitForWindow(_ number: Int, in group: inout Group) async throws {
    while unfinished[number] > 0, let finished = try await group.next() {
      self.finished(finished, in: &group)
    }
  }

  /// Takes in one finished task.
  mutating func finished(_ finished: Finished, in group: inout Group) {
    let number: Int
    switch finished {
    case .chunk(let index, let id, let window):
      ids[index] = id
      number = window
    case .hashed(let window, let chunkIDs):
      hashing = false
      startHash(in: &group)
      if let chunkIDs { startChunks(of: window, ids: chunkIDs, in: &group) }
      number = window
    }
    unfinished[number] -= 1
    if unfinished[number] == 0, let window = windows[number] {
      onBytesStored?(window.cuts.last?.upperBound ?? 0)
      windows[number] = nil
    }
  }

  private mutating func startHash(in group: inout Group) {
    guard !hashing, !unhashed.isEmpty else { return }
    let number = unhashed.removeFirst()
    // A window leaves `windows` only once its hash task has finished.
    guard let (window, cuts, _) = windows[number] else {
      preconditionFailure("window buffer \(number) was freed before it was hashed")
    }
    hashing = true
    let hasher = self.hasher
    group.addTask {
      .hashed(window: number, chunkIDs: hasher.update(window, cuts: cuts))
    }
  }

  /// The file's id, size and chunks, once every task has finished.
  ///
  /// - Throws: ``ArtError`` if a chunk has no id (a task that did not run).
  func result() throws -> (ObjectID, UInt64, [(id: ObjectID, size: UInt64)]) {
    let chunks = zip(ids, sizes).compactMap { id, size in id.map { (id: $0, size: size) } }
    guard chunks.count == sizes.count, !hashing, unhashed.isEmpty else {
      throw ArtError(.io, "a chunk of the file was not stored")
    }
    return (hasher.finalize(), sizes.reduce(0, +), chunks)
  }
}
