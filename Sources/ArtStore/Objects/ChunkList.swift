/// The ordered chunks of one large file, with the file's size and SHA-256.
///
/// Its object id is the whole file's SHA-256 (what `sha256sum` prints), so a
/// file has the same id whether it is stored whole or in chunks. A reader
/// checks the record's CRC-32, that the list names the id it is stored under,
/// and that the chunk sizes add up; the bytes are checked again, chunk by
/// chunk and then whole, as the file is reassembled.
///
/// Layout (little-endian):
///
/// | offset | size   | field                                |
/// |--------|--------|--------------------------------------|
/// | 0      | 4      | magic `ARTC`                         |
/// | 4      | 1      | format version, 1                    |
/// | 5      | 3      | zero                                 |
/// | 8      | 8      | file size                            |
/// | 16     | 32     | file SHA-256                         |
/// | 48     | 8      | chunk count N                        |
/// | 56     | N × 40 | chunk: 32-byte id, u64 length        |
public struct ChunkList: Sendable, Equatable {
  /// The whole file's SHA-256, which is also this object's id.
  public var fileID: ObjectID
  /// The whole file's length.
  public var fileSize: UInt64
  /// The chunks in file order.
  public var chunks: [(id: ObjectID, size: UInt64)]

  static let magic: [UInt8] = Array("ARTC".utf8)
  static let headerSize = 56
  static let entrySize = 40

  /// A list of `chunks` for the file `fileID`.
  public init(fileID: ObjectID, fileSize: UInt64, chunks: [(id: ObjectID, size: UInt64)]) {
    self.fileID = fileID
    self.fileSize = fileSize
    self.chunks = chunks
  }

  public static func == (a: ChunkList, b: ChunkList) -> Bool {
    a.fileID == b.fileID && a.fileSize == b.fileSize && a.chunks.count == b.chunks.count
      && zip(a.chunks, b.chunks).allSatisfy { $0.id == $1.id && $0.size == $1.size }
  }

  /// The canonical bytes.
  public func encoded() -> [UInt8] {
    var out = ByteWriter(capacity: Self.headerSize + chunks.count * Self.entrySize)
    out.append(Self.magic)
    out.append([1, 0, 0, 0])
    out.append(fileSize)
    out.append(fileID)
    out.append(UInt64(chunks.count))
    for chunk in chunks {
      out.append(chunk.id)
      out.append(chunk.size)
    }
    return out.bytes
  }

  /// Parses and checks a chunk list stored under `id`.
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` naming `subject`, or
  ///   `.unsupportedFormat` for a newer version.
  public init(decoding bytes: [UInt8], id: ObjectID, subject: String) throws {
    var reader = ByteReader(bytes, subject: subject)
    try reader.objectHeader(magic: Self.magic)
    fileSize = try reader.uint64()
    fileID = try reader.objectID()
    let count = try reader.uint64()
    guard fileID == id, count == UInt64(reader.remaining / Self.entrySize),
      reader.remaining % Self.entrySize == 0
    else {
      throw ArtError.corrupt(subject, "chunk list \(id) does not match its header")
    }
    var chunks: [(id: ObjectID, size: UInt64)] = []
    chunks.reserveCapacity(Int(count))
    var total: UInt64 = 0
    for _ in 0..<count {
      let chunkID = try reader.objectID()
      let size = try reader.uint64()
      let (sum, overflow) = total.addingReportingOverflow(size)
      guard !overflow else { throw ArtError.corrupt(subject, "chunk list \(id) sizes overflow") }
      total = sum
      chunks.append((chunkID, size))
    }
    guard total == fileSize else {
      throw ArtError.corrupt(subject, "chunk list \(id) sizes add up to \(total), not \(fileSize)")
    }
    self.chunks = chunks
  }
}

extension ChunkList {
  /// Checks that the chunks this list names, read through `chunk` in file
  /// order, are its file: each of the length listed, and all of them end
  /// to end hashing to ``fileID``.
  ///
  /// What a list from elsewhere (a remote, another project) must pass
  /// before it is stored: its id is its file's hash, so nothing short of
  /// the file checks it, and a stored list is taken as is by every later
  /// commit of that file.
  ///
  /// - Throws: ``ArtError`` `.corruptData` naming `subject`, or what `chunk`
  ///   throws (a missing or damaged chunk).
  public func checkContent(subject: String, _ chunk: (ObjectID) throws -> [UInt8]) throws {
    var hasher = ObjectHasher()
    for (id, size) in chunks {
      let bytes = try chunk(id)
      guard UInt64(bytes.count) == size else {
        throw ArtError.corrupt(subject, "its chunk \(id) is \(bytes.count) bytes, not \(size)")
      }
      bytes.withUnsafeBytes { hasher.update($0) }
    }
    guard hasher.finalize() == fileID else {
      throw ArtError.corrupt(subject, "its chunks do not hash to its file id")
    }
  }

  /// ``checkContent(subject:_:)`` with the chunks read through `chunk` by
  /// `readers` threads, ahead of the one that hashes the file they make,
  /// so checking one large file uses every core.
  public func checkContent(
    subject: String, readers: Int, _ chunk: @escaping @Sendable (ObjectID) throws -> [UInt8]
  ) throws {
    let ids = chunks.map(\.id)
    let prefetcher = ChunkPrefetcher(count: ids.count, readers: readers) { try chunk(ids[$0]) }
    defer { prefetcher.finish() }
    try checkContent(subject: subject) { _ in try prefetcher.next() }
  }
}
