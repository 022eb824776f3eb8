import SystemPackage

/// A file's content as stored: its SHA-256 and how it is kept.
public struct StoredContent: Sendable, Equatable {
  /// SHA-256 of the whole content: the blob id, or the chunk list id.
  public var id: ObjectID
  /// Length in bytes.
  public var size: UInt64
  /// True when kept as chunks plus a chunk list, false for one blob.
  public var isChunked: Bool
}

/// Turns a stream of bytes into stored objects: one blob for content up to
/// the maximum chunk size, otherwise content-defined chunks plus a chunk
/// list whose id is the whole content's SHA-256.
///
/// Memory is one fixed read buffer plus the compressor's output, whatever the
/// file size. Owned by one task (one per worker); not `Sendable`.
public final class ContentStorer {
  /// Where objects go.
  public let writer: ObjectWriter
  /// How content is cut.
  public let chunker: Chunker
  /// Compresses each object before it is appended.
  public let compressor: Compressor
  private let buffer: UnsafeMutableRawBufferPointer

  /// A storer with its own buffers.
  public init(writer: ObjectWriter, chunker: Chunker) {
    self.writer = writer
    self.chunker = chunker
    compressor = Compressor(codec: writer.codec)
    let size = max(4 << 20, 4 * chunker.parameters.maximum)
    buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
  }

  deinit {
    buffer.deallocate()
  }

  /// Reads `source` to its end and stores it.
  ///
  /// - Throws: ``ArtError`` from reading the source or writing the pack.
  public func store(_ source: inout some ByteSource) throws -> StoredContent {
    let maximum = chunker.parameters.maximum
    var end = try source.readFully(into: buffer)
    var atEnd = end < buffer.count
    if atEnd && end <= maximum {
      let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<end])
      let id = ObjectHasher.id(of: bytes)
      try writer.write(bytes, kind: .blob, id: id, compressor: compressor)
      return StoredContent(id: id, size: UInt64(end), isChunked: false)
    }
    var fileHasher = ObjectHasher()
    var chunks: [(id: ObjectID, size: UInt64)] = []
    var size: UInt64 = 0
    var start = 0
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
        let count = try source.readFully(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
        end += count
        atEnd = count < wanted
      }
      if start == end { break }
      let cut = chunker.cutPoint(UnsafeRawBufferPointer(rebasing: buffer[start..<end]))
      let chunk = UnsafeRawBufferPointer(rebasing: buffer[start..<start + cut])
      fileHasher.update(chunk)
      let id = ObjectHasher.id(of: chunk)
      try writer.write(chunk, kind: .blob, id: id, compressor: compressor)
      chunks.append((id, UInt64(cut)))
      size += UInt64(cut)
      start += cut
    }
    let fileID = fileHasher.finalize()
    let list = ChunkList(fileID: fileID, fileSize: size, chunks: chunks).encoded()
    try list.withUnsafeBytes { (b) throws in
      _ = try writer.write(b, kind: .chunkList, id: fileID, compressor: compressor)
    }
    return StoredContent(id: fileID, size: size, isChunked: true)
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

/// Writes a stored file's bytes, in order, after checking each piece.
public enum ContentReader {
  /// Calls `body` with each verified piece of the content `id` (one blob, or
  /// each chunk in order), then checks the whole content's SHA-256.
  ///
  /// - Throws: ``ArtError`` with code `.notFound` or `.corruptData`; `body`
  ///   may have seen earlier pieces by then, so callers write to a temporary
  ///   file and discard it on error.
  public static func read(
    _ id: ObjectID, from store: ObjectStore,
    _ body: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    let (kind, bytes) = try store.read(id)
    switch kind {
    case .blob:
      try bytes.withUnsafeBytes(body)
    case .chunkList:
      let list = try ChunkList(decoding: bytes, id: id, subject: "chunk list \(id)")
      var hasher = ObjectHasher()
      for chunk in list.chunks {
        let data = try store.read(chunk.id, as: .blob)
        guard UInt64(data.count) == chunk.size else {
          throw ArtError.corrupt("chunk \(chunk.id)", "it is \(data.count) bytes, its list says \(chunk.size)")
        }
        try data.withUnsafeBytes { (b) throws in
          hasher.update(b)
          try body(b)
        }
      }
      guard hasher.finalize() == id else {
        throw ArtError.corrupt("chunk list \(id)", "its chunks do not hash to the file's id")
      }
    case .manifest, .version:
      throw ArtError(.invalidArgument, "object \(id) is a \(kind), not file content")
    }
  }
}
