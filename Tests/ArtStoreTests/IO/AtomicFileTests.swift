import ArtTestSupport
import SystemPackage
import Testing

@testable import ArtStore

/// Whole small files: read at the size fstat gives, and past it when the
/// file grew; never past the limit.
@Suite("Atomic file")
struct AtomicFileTests {
  @Test(arguments: [0, 1, 65_535, 65_536, 65_537, 3 << 20])
  func readsTheWholeFile(size: Int) async throws {
    try await withTemporaryDirectory { folder in
      let bytes = [UInt8].random(count: size, seed: UInt64(size))
      let path = folder.appending("f")
      try AtomicFile.write(bytes, to: path, durable: false)
      #expect(try AtomicFile.read(path) == bytes)
    }
  }

  @Test func aMissingFileIsNil() async throws {
    try await withTemporaryDirectory { (folder) throws in
      #expect(try AtomicFile.read(folder.appending("none")) == nil)
    }
  }

  @Test func readsWhatFollowsTheSizeGivenAndStopsAtTheLimit() async throws {
    try await withTemporaryDirectory { folder in
      let bytes = [UInt8].random(count: 200_000, seed: 7)
      let path = folder.appending("f")
      try writeFile(bytes, to: path)
      func readAll(size: Int, limit: Int = 1 << 20) throws -> [UInt8] {
        let fd = try FileDescriptor.open(path, .readOnly)
        defer { try? fd.close() }
        return try AtomicFile.readAll(fd, name: "f", limit: limit, size: size)
      }
      // A file larger than fstat said (it grew), and one smaller.
      #expect(try readAll(size: 70_000) == bytes)
      #expect(try readAll(size: 300_000) == bytes)
      #expect(try readAll(size: 0) == bytes)
      // The limit holds for the bytes read in one go and for what follows.
      #expect(try readAll(size: 200_000, limit: 200_000) == bytes)
      #expect(throws: ArtError.self) { try readAll(size: 200_000, limit: 199_999) }
      #expect(throws: ArtError.self) { try readAll(size: 70_000, limit: 100_000) }
      #expect(throws: ArtError.self) { try readAll(size: 0, limit: 100_000) }
    }
  }
}
