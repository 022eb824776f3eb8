import ArtTestSupport
import Foundation
import SystemPackage
import Testing

@testable import ArtStore

/// Small files are read into memory, larger ones mapped: both give the
/// file's bytes.
@Suite("Mapped file")
struct MappedFileTests {
  @Test(arguments: [0, 1, 4_096, MappedFile.readLimit, MappedFile.readLimit + 1, 1 << 20])
  func givesTheFilesBytesReadOrMapped(size: Int) async throws {
    try await withTemporaryDirectory { folder in
      let bytes = [UInt8].random(count: size, seed: UInt64(size))
      let path = folder.appending("f")
      try writeFile(bytes, to: path)
      let file = try MappedFile(path: path)
      #expect(file.count == size)
      #expect(file.withUnsafeBytes { Array($0) } == bytes)
    }
  }
}
