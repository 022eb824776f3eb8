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
/// Input goes through three window buffers in turn. Each window's chunks
/// are hashed, compressed and appended by a task each, and one task at a
/// time adds windows to the whole-file hash, in order. Meanwhile the
/// caller's task reads the next window into the buffer the oldest window
/// has finished with and finds its chunk boundaries. There is no pause
/// between windows: while the caller waits for a buffer, the window read
/// after it keeps every core busy. Memory is the three buffers plus one
/// compressor per core, whatever the file size. Used by one task at a time.
public final class ContentStorer {
  /// Where objects go.
  public let writer: ObjectWriter
  /// How content is cut.
  public let chunker: Chunker
  /// Compressors shared by the chunk tasks.
  public let compressors: CompressorPool
  private let buffers: [UnsafeMutableRawBufferPointer]
  /// Whether a chunk's id and the file's id are worked out in one pass
  /// (``PairedSHA256``); tests turn it off to cover the other way.
  var pairsHashes = PairedSHA256.isAvailable
  /// Called with the byte count of each stored window, for progress.
  public var onBytesStored: (@Sendable (Int) -> Void)?

  /// A storer with its own window buffers, sharing `compressors`.
  public init(writer: ObjectWriter, chunker: Chunker, compressors: CompressorPool? = nil) {
    self.writer = writer
    self.chunker = chunker
    self.compressors = compressors ?? CompressorPool(compression: writer.compression)
    // Each window holds at least 3 maximum-sized chunks besides the tail
    // carried over from the one before (under one maximum).
    let size = max(4 << 20, 4 * chunker.parameters.maximum)
    buffers = (0..<3).map { _ in
      UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
    }
  }

  deinit {
    for buffer in buffers { buffer.deallocate() }
  }

  /// Reads `source` to its end and stores it.
  ///
  /// - Throws: ``ArtError`` from reading the source or writing the pack.
  public func store(_ source: inout some ByteSource) async throws -> StoredContent {
    let buffer = buffers[0]
    let end = try source.readFully(into: buffer)
    let atEnd = end < buffer.count
    guard atEnd && end <= chunker.parameters.maximum else {
      return try await storeChunks(&source, firstWindow: end, atEnd: atEnd)
    }
    let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<end])
    let id = ObjectHasher.id(of: bytes)
    let writer = self.writer
    let written = try compressors.withCompressor { compressor in
      try writer.write(bytes, kind: .blob, id: id, compressor: compressor)
    }
    onBytesStored?(end)
    // A repository with smaller chunk sizes may have stored it in chunks.
    let isChunked = try !written && writer.storedKind(id) == .chunkList
    return StoredContent(id: id, size: UInt64(end), isChunked: isChunked)
  }

  /// Stores content longer than one chunk, whose first `firstWindow` bytes
  /// are in the first buffer: its chunks, then its chunk list.
  private func storeChunks(_ source: inout some ByteSource, firstWindow: Int, atEnd: Bool)
    async throws -> StoredContent
  {
    var end = firstWindow
    var atEnd = atEnd
    var pipeline = WindowPipeline(
      writer: writer, compressors: compressors, windows: buffers.count, pairsHashes: pairsHashes,
      onBytesStored: onBytesStored)
    var current = 0
    var cuts = cutPoints(in: buffers[current], count: end, atEnd: atEnd)
    try await withThrowingTaskGroup(of: WindowPipeline.Finished.self) { group in
      while let last = cuts.last {
        let window = WindowBytes(buffer: UnsafeRawBufferPointer(buffers[current]))
        pipeline.start(cuts, of: window, number: current, in: &group)
        if atEnd { break }
        // The tail not cut yet starts the next window, in the buffer the
        // oldest window in flight leaves.
        let next = (current + 1) % buffers.count
        try await pipeline.waitForWindow(next, in: &group)
        end -= last.upperBound
        if end > 0, let from = buffers[current].baseAddress, let to = buffers[next].baseAddress {
          to.copyMemory(from: from + last.upperBound, byteCount: end)
        }
        let wanted = buffers[next].count - end
        let count = try source.readFully(
          into: UnsafeMutableRawBufferPointer(rebasing: buffers[next][end...]))
        end += count
        atEnd = count < wanted
        cuts = cutPoints(in: buffers[next], count: end, atEnd: atEnd)
        current = next
      }
      while let finished = try await group.next() { pipeline.finished(finished, in: &group) }
    }
    let (fileID, size, chunks) = try pipeline.result()
    let list = ChunkList(fileID: fileID, fileSize: size, chunks: chunks).encoded()
    let writer = self.writer
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

  /// The chunks of the first `count` bytes of `window`: every one with a
  /// full maximum-sized lookahead, or all of them at the end of the input.
  private func cutPoints(in window: UnsafeMutableRawBufferPointer, count end: Int, atEnd: Bool)
    -> [Range<Int>]
  {
    var cuts: [Range<Int>] = []
    var position = 0
    while position < end && (atEnd || end - position >= chunker.parameters.maximum) {
      let cut = chunker.cutPoint(UnsafeRawBufferPointer(rebasing: window[position..<end]))
      cuts.append(position..<position + cut)
      position += cut
    }
    return cuts
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
