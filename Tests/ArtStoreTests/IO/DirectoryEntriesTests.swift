import ArtTestSupport
import SystemPackage
import Testing

@testable import ArtStore

@Suite("Folder listings")
struct DirectoryEntriesTests {
  /// Every name length from 1 to 255 bytes, thousands of entries: each
  /// name comes back whole, read in place from its `dirent` (copying the
  /// struct's fixed 256-byte name once read past the last entry of a
  /// buffer and crashed a push listing a folder of 600 packs).
  @Test func listsNamesOfEveryLengthExactly() async throws {
    try await withTemporaryDirectory { folder in
      var expected = Set<[UInt8]>()
      for length in 1...255 {
        for variant in 0..<12 {
          let name = Array("\(variant)-".utf8) + [UInt8](repeating: 0x61, count: max(0, length - 3))
          let trimmed = Array(name.prefix(length))
          guard expected.insert(trimmed).inserted else { continue }
          try writeFile([], to: folder.appending(String(decoding: trimmed, as: UTF8.self)))
        }
      }
      let listed = try directoryEntries(folder)
      #expect(listed.count == expected.count)
      #expect(Set(listed) == expected)
      let withStatus = try directoryEntriesWithStatus(folder)
      #expect(Set(withStatus.map(\.0)) == expected)
      #expect(withStatus.allSatisfy { $0.1.size == 0 })
    }
  }
}
