import Synchronization
import SystemPackage

/// A file's content as stored: its SHA-256 and how it is kept.
public struct StoredContent: Sendable, Equatable {
  /// SHA-256 of the whole content: the blob id, or the chunk list id.
  public var id: ObjectID
  /// Length in bytes.
  public var size: UInt64
  /// True when kept as chunks plus a chunk list, false for one blob.
  public var isChunked: Bool

  /// A description of stored content.
  public init(id: ObjectID, size: UInt64, isChunked: Bool) {
    self.id = id
    self.size = size
    self.isChunked = isChunked
  }
}

/// Turns a stream of bytes into stored objects: one blob for content up to
/// the maximum chunk size, otherwise content-defined chunks plus a chunk
/// list whose id is the whole content's SHA-256.
///
/// Chunk boundaries and the whole-file hash are computed in order by the
/// caller's task; hashing, compressing and appending the chunks of each
/// window run on up to one task per core, so one large file uses every core.
/// Memory is one fixed window buffer plus one compressor per core, whatever
/// the file size. Used by one task at a time.
public final class ContentStorer {
  /// Where objects go.
  public let writer: ObjectWriter
  /// How content is cut.
  public let chunker: Chunker
  /// Compressors shared by the chunk tasks.
  public let compressors: CompressorPool
  private let buffer: UnsafeMutableRawBufferPointer
  /// Called with the byte count of each stored window, for progress.
  public var onBytesStored: (@Sendable (Int) -> Void)?

  /// A storer with its own window buffer, sharing `compressors`.
  public init(writer: ObjectWriter, chunker: Chunker, compressors: CompressorPool? = nil) {
    self.writer = writer
    self.chunker = chunker
    self.compressors = compressors ?? CompressorPool(compression: writer.compression)
    let size = max(8 << 20, 8 * chunker.parameters.maximum)
    buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
  }

  deinit {
    buffer.deallocate()
  }

  /// Reads `source` to its end and stores it.
  ///
  /// - Throws: ``ArtError`` from reading the source or writing the pack.
  public func store(_ source: inout some ByteSource) async throws -> StoredContent {
    let maximum = chunker.parameters.maximum
    let writer = self.writer
    let compressors = self.compressors
    var end = try source.readFully(into: buffer)
    var atEnd = end < buffer.count
    if atEnd && end <= maximum {
      let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<end])
      let id = ObjectHasher.id(of: bytes)
      let written = try compressors.withCompressor { compressor in
        try writer.write(bytes, kind: .blob, id: id, compressor: compressor)
      }
      onBytesStored?(end)
      // A repository with smaller chunk sizes may have stored it in chunks.
      let isChunked = try !written && writer.storedKind(id) == .chunkList
      return StoredContent(id: id, size: UInt64(end), isChunked: isChunked)
    }
    var fileHasher = ObjectHasher()
    var chunks: [(id: ObjectID, size: UInt64)] = []
    var size: UInt64 = 0
    var start = 0
    let policy = CompressionPolicy()
    while true {
      if !atEnd && end - start < maximum {
        // Move the tail to the front and refill, so a cut always sees a
        // full maximum-sized window until the end of the file.
        let tail = end - start
        if tail > 0, start > 0, let base = buffer.baseAddress {
          base.copyMemory(from: base + start, byteCount: tail)
        }
        start = 0
        end = tail
        let wanted = buffer.count - end
        let count = try source.readFully(
          into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
        end += count
        atEnd = count < wanted
      }
      if start == end { break }
      // Cut every chunk that has a full lookahead (or the rest, at the end).
      var cuts: [Range<Int>] = []
      var position = start
      while position < end && (atEnd || end - position >= maximum) {
        let cut = chunker.cutPoint(UnsafeRawBufferPointer(rebasing: buffer[position..<end]))
        cuts.append(position..<position + cut)
        position += cut
      }
      let window = WindowBytes(buffer: UnsafeRawBufferPointer(buffer))
      let ranges = cuts
      // The chunk tasks hash and store while this task hashes the whole file.
      async let ids = Self.storeChunks(
        ranges, in: window, writer: writer, compressors: compressors, policy: policy)
      fileHasher.update(UnsafeRawBufferPointer(rebasing: buffer[start..<position]))
      for (range, id) in zip(ranges, try await ids) {
        chunks.append((id, UInt64(range.count)))
      }
      size += UInt64(position - start)
      onBytesStored?(position - start)
      start = position
    }
    let fileID = fileHasher.finalize()
    let list = ChunkList(fileID: fileID, fileSize: size, chunks: chunks).encoded()
    let written = try compressors.withCompressor { compressor in
      try list.withUnsafeBytes { bytes in
        try writer.write(bytes, kind: .chunkList, id: fileID, compressor: compressor)
      }
    }
    // A repository with larger chunk sizes may have stored it whole; the
    // chunks just written are then garbage for gc.
    let isChunked = try written || writer.storedKind(fileID) != .blob
    return StoredContent(id: fileID, size: size, isChunked: isChunked)
  }

  /// Hashes, compresses and writes the chunks at `cuts`; returns their ids in order.
  private static func storeChunks(
    _ cuts: [Range<Int>], in window: WindowBytes, writer: ObjectWriter,
    compressors: CompressorPool, policy: CompressionPolicy
  ) async throws -> [ObjectID] {
    let counter = IndexCounter()
    let workers = min(Syscalls.processorCount, cuts.count)
    return try await withThrowingTaskGroup(of: [(Int, ObjectID)].self) { group in
      for _ in 0..<workers {
        group.addTask {
          try compressors.withCompressor { compressor in
            var done: [(Int, ObjectID)] = []
            while true {
              let index = counter.claim()
              if index >= cuts.count { return done }
              let chunk = UnsafeRawBufferPointer(rebasing: window.buffer[cuts[index]])
              let id = ObjectHasher.id(of: chunk)
              try writer.write(
                chunk, kind: .blob, id: id, compressor: compressor,
                tryCompressing: policy.shouldTry(index: index), policy: policy)
              done.append((index, id))
            }
          }
        }
      }
      var ids = [ObjectID?](repeating: nil, count: cuts.count)
      for try await batch in group {
        for (index, id) in batch { ids[index] = id }
      }
      return ids.compactMap { $0 }
    }
  }

  /// The SHA-256 of `source` without storing anything.
  public static func hash(_ source: inout some ByteSource) throws -> (ObjectID, UInt64) {
    var hasher = ObjectHasher()
    var size: UInt64 = 0
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
    defer { buffer.deallocate() }
    while true {
      let count = try source.read(into: buffer)
      if count == 0 { return (hasher.finalize(), size) }
      hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
      size += UInt64(count)
    }
  }
}

/// The window buffer, shared read-only with the chunk tasks.
private struct WindowBytes: @unchecked Sendable {
  // @unchecked: the storer does not write to the buffer while chunk tasks
  // run; it awaits them all before refilling it.
  let buffer: UnsafeRawBufferPointer
}

/// Hands out 0, 1, 2, … to tasks sharing a list of jobs.
package final class IndexCounter: Sendable {
  private let next = Atomic<Int>(0)

  package init() {}

  /// The next unclaimed index (may be past the end of the jobs).
  package func claim() -> Int { next.add(1, ordering: .relaxed).oldValue }
}

/// Decides, per file, whether compressing a chunk is worth trying: after 4
/// chunks in a row that did not shrink (JPEG, parquet, random bytes), only
/// every 8th chunk is tried, so incompressible data costs no codec time;
/// one that shrinks turns compression back on.
final class CompressionPolicy: Sendable {
  private let incompressibleStreak = Atomic<Int>(0)

  func shouldTry(index: Int) -> Bool {
    incompressibleStreak.load(ordering: .relaxed) < 4 || index % 8 == 0
  }

  func record(shrank: Bool) {
    if shrank {
      incompressibleStreak.store(0, ordering: .relaxed)
    } else {
      incompressibleStreak.add(1, ordering: .relaxed)
    }
  }
}

/// Writes a stored file's bytes, in order, after checking each piece.
public enum ContentReader {
  /// Calls `body` with each verified piece of the content `id` (one blob, or
  /// each chunk in order), then checks the whole content's SHA-256.
  ///
  /// With `wholeFileCheckOnly`, chunks are not hashed one by one: only the
  /// whole content is, at the end, so `body` may see damaged bytes before
  /// the error — only for callers that write into a file that gets its name
  /// after this returns. The error then names the damaged chunk.
  ///
  /// - Throws: ``ArtError`` with code `.notFound` or `.corruptData`; `body`
  ///   may have seen earlier pieces by then, so callers write to a temporary
  ///   file and discard it on error.
  public static func read(
    _ id: ObjectID, from store: ObjectStore, wholeFileCheckOnly: Bool = false,
    _ body: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    let (kind, bytes) = try store.read(id)
    switch kind {
    case .blob:
      try bytes.withUnsafeBytes(body)
    case .chunkList:
      let list = try ChunkList(decoding: bytes, id: id, subject: "chunk list \(id)")
      var hasher = ObjectHasher()
      // A large file's chunks are decoded ahead on another thread while
      // this one hashes and writes.
      let prefetcher =
        wholeFileCheckOnly && list.chunks.count >= 16
        ? ChunkPrefetcher(list.chunks.map(\.id), store: store) : nil
      defer { prefetcher?.finish() }
      for chunk in list.chunks {
        let data =
          try prefetcher?.next()
          ?? store.read(chunk.id, as: .blob, verifyingHash: !wholeFileCheckOnly)
        guard UInt64(data.count) == chunk.size else {
          throw ArtError.corrupt(
            "chunk \(chunk.id)", "it is \(data.count) bytes, its list says \(chunk.size)")
        }
        try data.withUnsafeBytes { (b) throws in
          hasher.update(b)
          try body(b)
        }
      }
      guard hasher.finalize() == id else {
        if wholeFileCheckOnly {
          // Name the damaged chunk: read them again, each checked.
          for chunk in list.chunks { _ = try store.read(chunk.id, as: .blob) }
        }
        throw ArtError.corrupt("chunk list \(id)", "its chunks do not hash to the file's id")
      }
    case .manifest, .version, .reference, .dictionary:
      throw ArtError(.invalidArgument, "object \(id) is a \(kind), not file content")
    }
  }

  /// Streams file content `id` from byte `offset` on.
  ///
  /// Only the chunks from the one holding `offset` are read, each checked
  /// against its hash; `body` may stop early by throwing.
  ///
  /// - Throws: ``ArtError`` with code `.notFound` or `.corruptData`.
  public static func read(
    _ id: ObjectID, from store: ObjectStore, startingAt offset: UInt64,
    _ body: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    let (kind, bytes) = try store.read(id)
    switch kind {
    case .blob:
      guard offset < UInt64(bytes.count) else { return }
      try bytes[Int(offset)...].withUnsafeBytes(body)
    case .chunkList:
      let list = try ChunkList(decoding: bytes, id: id, subject: "chunk list \(id)")
      var start: UInt64 = 0
      for chunk in list.chunks {
        defer { start += chunk.size }
        if start + chunk.size <= offset { continue }
        let data = try store.read(chunk.id, as: .blob)
        guard UInt64(data.count) == chunk.size else {
          throw ArtError.corrupt(
            "chunk \(chunk.id)", "it is \(data.count) bytes, its list says \(chunk.size)")
        }
        let skip = offset > start ? Int(offset - start) : 0
        try data[skip...].withUnsafeBytes(body)
      }
    case .manifest, .version, .reference, .dictionary:
      throw ArtError(.invalidArgument, "object \(id) is a \(kind), not file content")
    }
  }

  /// Stops a read once enough bytes are in.
  private struct Enough: Error {}

  /// Up to `count` bytes of file content `id` from byte `offset` (fewer at
  /// its end), each chunk read checked against its hash.
  ///
  /// - Throws: ``ArtError`` with code `.notFound` or `.corruptData`.
  public static func bytes(
    of id: ObjectID, from store: ObjectStore, at offset: UInt64, count: Int
  ) throws -> [UInt8] {
    var bytes: [UInt8] = []
    guard count > 0 else { return bytes }
    do {
      try read(id, from: store, startingAt: offset) { piece in
        bytes.append(contentsOf: piece.prefix(count - bytes.count))
        if bytes.count >= count { throw Enough() }
      }
    } catch is Enough {}
    return bytes
  }
}
