import ArtTestSupport
import CArtHash
import SystemPackage
import Testing

@testable import ArtStore

/// A byte source over an array, reading in uneven pieces like a pipe.
struct ArraySource: ByteSource {
  let bytes: [UInt8]
  var offset = 0
  var name: String { "<array>" }

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    let count = min(buffer.count, bytes.count - offset, 100_003)
    bytes.withUnsafeBytes { all in
      buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[offset..<offset + count]))
    }
    offset += count
    return count
  }
}

/// Stores `contents` in a new pack folder and returns the reopened store.
func storeRoundTrip(
  _ contents: [[UInt8]], codec: Codec, in folder: FilePath
) async throws -> (ObjectStore, [StoredContent], WriteStatistics) {
  let packs = folder.appending("packs")
  try Syscalls.makeDirectories(packs)
  let writer = ObjectWriter(
    store: try ObjectStore(directory: packs), compression: Compression(codec))
  let storer = ContentStorer(writer: writer, chunker: Chunker(parameters: .default))
  var stored: [StoredContent] = []
  for content in contents {
    var source = ArraySource(content)
    stored.append(try await storer.store(&source))
  }
  let statistics = try writer.finish()
  return (try ObjectStore(directory: packs), stored, statistics)
}

func readContent(_ id: ObjectID, _ store: ObjectStore) throws -> [UInt8] {
  var out: [UInt8] = []
  try ContentReader.read(id, from: store) { out += $0 }
  return out
}

@Suite("ContentStorer")
struct ContentStorerTests {
  static let maximum = ChunkerParameters.default.maximum

  struct Enough: Error {}

  /// A large file's chunks are read ahead on another thread; a reader that
  /// stops after the first piece (an error downstream, or enough bytes)
  /// gets its error, and the read-ahead stops without trapping.
  @Test func aReadStoppedEarlyEndsTheReadAheadCleanly() async throws {
    try await withTemporaryDirectory { folder in
      let content = [UInt8].random(count: 40 * Self.maximum, seed: 11)
      let (store, stored, _) = try await storeRoundTrip([content], codec: .lz4, in: folder)
      for _ in 0..<20 {
        var pieces = 0
        #expect(throws: Enough.self) {
          try ContentReader.read(stored[0].id, from: store, wholeFileCheckOnly: true) { _ in
            pieces += 1
            if pieces == 2 { throw Enough() }
          }
        }
        #expect(pieces == 2)
      }
    }
  }

  @Test(arguments: Codec.selectable, [0, 1, maximum - 1, maximum, maximum + 1, 3 * maximum + 17])
  func roundTripsEdgeSizes(codec: Codec, size: Int) async throws {
    try await withTemporaryDirectory { folder in
      let contents = [[UInt8].random(count: size, seed: 1), [UInt8].text(count: size, seed: 2)]
      let (store, stored, _) = try await storeRoundTrip(contents, codec: codec, in: folder)
      for (content, result) in zip(contents, stored) {
        #expect(result.id == ObjectHasher.id(of: content))
        #expect(result.size == UInt64(size))
        #expect(result.isChunked == (size > Self.maximum))
        #expect(try readContent(result.id, store) == content)
      }
    }
  }

  /// Chunk boundaries depend on the content alone: a file stored through
  /// the two 4 MiB windows, whatever its size against them, is cut where
  /// one pass of the chunker over the whole file cuts.
  @Test(arguments: [
    4 << 20 - 1, 4 << 20, 4 << 20 + 1, 7 << 20 + 5, 8 << 20, 12 << 20, 13 << 20 + 3,
  ])
  func windowsCutWhereOnePassCuts(size: Int) async throws {
    try await withTemporaryDirectory { folder in
      let content = [UInt8].text(count: size, seed: UInt64(size))
      let (store, stored, _) = try await storeRoundTrip([content], codec: .lz4, in: folder)
      var expected: [(ObjectID, UInt64)] = []
      let chunker = Chunker(parameters: .default)
      content.withUnsafeBytes { all in
        var start = 0
        while start < all.count {
          let cut = chunker.cutPoint(UnsafeRawBufferPointer(rebasing: all[start...]))
          let chunk = UnsafeRawBufferPointer(rebasing: all[start..<start + cut])
          expected.append((ObjectHasher.id(of: chunk), UInt64(cut)))
          start += cut
        }
      }
      let (kind, bytes) = try store.read(stored[0].id)
      #expect(kind == .chunkList)
      let list = try ChunkList(decoding: bytes, id: stored[0].id, subject: "test")
      #expect(list.chunks.map(\.id) == expected.map(\.0))
      #expect(list.chunks.map(\.size) == expected.map(\.1))
      #expect(try readContent(stored[0].id, store) == content)
    }
  }

  @Test(.tags(.large), arguments: Codec.selectable)
  func roundTrips100MB(codec: Codec) async throws {
    try await withTemporaryDirectory { folder in
      let contents = [
        [UInt8].random(count: 100_000_000, seed: 5), [UInt8].text(count: 100_000_000, seed: 6),
      ]
      let (store, stored, stats) = try await storeRoundTrip(contents, codec: codec, in: folder)
      for (content, result) in zip(contents, stored) {
        #expect(result.id == ObjectHasher.id(of: content))
        #expect(try readContent(result.id, store) == content)
      }
      if codec != .none {
        // The text compresses; the random half is stored raw.
        #expect(stats.storedBytesWritten < 170_000_000)
      }
    }
  }

  @Test func deduplicatesRepeatedContent() async throws {
    try await withTemporaryDirectory { folder in
      let big = [UInt8].random(count: 2_000_000, seed: 9)
      let (_, _, stats) = try await storeRoundTrip([big, big, big + [1]], codec: .lz4, in: folder)
      #expect(stats.bytesDeduplicated >= 2 * 2_000_000 - 300_000)
      #expect(stats.rawBytesWritten < 2_000_000 + 700_000)
    }
  }

  /// Chunk ids worked out alongside the file's hash (``PairedSHA256``) and
  /// by each chunk's task store the same objects under the same ids.
  @Test(arguments: [false, true])
  func chunkIdsDoNotDependOnWhoHashes(pairs: Bool) async throws {
    // Paired hashing where the CPU has SHA-NI: a kernel that failed its
    // self-test fails here rather than passing unpaired.
    guard !pairs || art_sha256_hardware() != 0 else { return }
    #expect(!pairs || PairedSHA256.isAvailable)
    try await withTemporaryDirectory { folder in
      let packs = folder.appending("packs")
      try Syscalls.makeDirectories(packs)
      let writer = ObjectWriter(store: try ObjectStore(directory: packs), compression: .lz4)
      let storer = ContentStorer(writer: writer, chunker: Chunker(parameters: .default))
      storer.pairsHashes = pairs
      let content = [UInt8].text(count: 13 << 20 + 77, seed: 8)
      var source = ArraySource(content)
      let stored = try await storer.store(&source)
      _ = try writer.finish()
      let store = try ObjectStore(directory: packs)
      #expect(stored.id == ObjectHasher.id(of: content))
      let list = try ChunkList(
        decoding: try store.read(stored.id).bytes, id: stored.id, subject: "test")
      var start = 0
      for chunk in list.chunks {
        let end = start + Int(chunk.size)
        #expect(chunk.id == ObjectHasher.id(of: Array(content[start..<end])))
        #expect(try store.read(chunk.id, as: .blob) == Array(content[start..<end]))
        start = end
      }
      #expect(start == content.count)
    }
  }

  /// A source that fails once `failAt` bytes are read.
  struct FailingSource: ByteSource {
    var inner: ArraySource
    let failAt: Int
    var name: String { "<failing>" }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
      guard inner.offset < failAt else { throw ArtError(.io, "the disk went away") }
      return try inner.read(into: buffer)
    }
  }

  /// A read that fails with windows in flight fails the store with the
  /// read's error, after the window tasks finish with the buffers; the
  /// same storer then stores the next file whole and right.
  ///
  /// The first read fails at 1 MiB; the second, third and fourth
  /// (refilling buffer 0) cross 5, 9 and 13 MiB whatever tails the windows
  /// carry.
  @Test(arguments: [1 << 20, 5 << 20, 9 << 20, 13 << 20])
  func aFailedReadLeavesTheStorerUsable(failAt: Int) async throws {
    try await withTemporaryDirectory { folder in
      let packs = folder.appending("packs")
      try Syscalls.makeDirectories(packs)
      let writer = ObjectWriter(store: try ObjectStore(directory: packs), compression: .zstd)
      let storer = ContentStorer(writer: writer, chunker: Chunker(parameters: .default))
      var failing = FailingSource(
        inner: ArraySource([UInt8].text(count: 20 << 20, seed: 4)), failAt: failAt)
      let error = await #expect(throws: ArtError.self) { _ = try await storer.store(&failing) }
      #expect(error?.code == .io && error?.message == "the disk went away")
      let content = [UInt8].text(count: 14 << 20, seed: 5)
      var source = ArraySource(content)
      let stored = try await storer.store(&source)
      _ = try writer.finish()
      #expect(stored.id == ObjectHasher.id(of: content) && stored.isChunked)
      #expect(try readContent(stored.id, try ObjectStore(directory: packs)) == content)
    }
  }
}

extension Tag {
  /// Tests that move 100 MB or more.
  @Tag static var large: Self
}

@Suite("ObjectWriter")
struct ObjectWriterTests {
  @Test func rollsOverToNewPacksAtTheSizeLimit() async throws {
    try await withTemporaryDirectory { folder in
      let packs = folder.appending("packs")
      try Syscalls.makeDirectories(packs)
      let writer = ObjectWriter(
        store: try ObjectStore(directory: packs), compression: .lz4, maximumPackSize: 1 << 20)
      let storer = ContentStorer(writer: writer, chunker: Chunker(parameters: .default))
      let contents = (0..<4).map { [UInt8].random(count: 3_000_000, seed: UInt64($0)) }
      var ids: [ObjectID] = []
      for content in contents {
        var source = ArraySource(content)
        ids.append(try await storer.store(&source).id)
      }
      let statistics = try writer.finish()
      #expect(statistics.packs.count >= 10)
      let store = try ObjectStore(directory: packs)
      #expect(store.allPacks.count == statistics.packs.count)
      for pack in store.allPacks { _ = try pack.verify() }
      for (id, content) in zip(ids, contents) { #expect(try readContent(id, store) == content) }
      let leftovers = try directoryEntries(packs).filter { $0.starts(with: Array("tmp-".utf8)) }
      #expect(leftovers.isEmpty)
    }
  }

  @Test func aStoreSeesPacksPublishedAfterItOpened() async throws {
    try await withTemporaryDirectory { folder in
      let packs = folder.appending("packs")
      try Syscalls.makeDirectories(packs)
      let early = try ObjectStore(directory: packs)
      // Another writer (another process, in real use) publishes a pack.
      let writer = ObjectWriter(store: try ObjectStore(directory: packs), compression: .lz4)
      let id = try writer.write(
        Array("late".utf8), kind: .blob, compressor: Compressor(compression: .lz4))
      _ = try writer.finish()
      #expect(early.allPacks.isEmpty)
      #expect(try early.read(id, as: .blob) == Array("late".utf8))
      #expect(try early.resolve(ObjectIDPrefix(String(id.hex.prefix(8)))) == id)
      #expect(early.allPacks.count == 1)
    }
  }
}
