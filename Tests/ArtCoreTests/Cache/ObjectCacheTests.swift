import ArtCore
import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

@Suite("shared object cache")
struct ObjectCacheTests {
  @Test func readsBackOnlyIntactObjects() async throws {
    try await withTemporaryDirectory { folder in
      let cache = try ObjectCache(directory: folder)
      let raw = [UInt8].random(count: 5000, seed: 3)
      let id = ObjectHasher.id(of: raw)
      #expect(cache.read(id, kind: .blob) == nil)
      cache.write(id, kind: .blob, raw: raw)
      #expect(cache.read(id, kind: .blob) == raw)
      #expect(cache.read(id, kind: .manifest) == nil)  // asked as the wrong kind
      // A flipped byte: not returned, and removed.
      let path = folder.appending("objects/\(id.hex.prefix(2))/\(id.hex)")
      var bytes = try readFile(path)
      bytes[bytes.count - 1] ^= 1
      try writeFile(bytes, to: path)
      #expect(cache.read(id, kind: .blob) == nil)
      #expect(!FileManager.default.fileExists(atPath: path.string))
    }
  }

  @Test func cleanupIsLeastRecentlyUsedAndSparesRunningCommands() async throws {
    try await withTemporaryDirectory { folder in
      var ids: [ObjectID] = []
      do {
        let writer = try ObjectCache(directory: folder)
        for seed in 0..<4 {
          let raw = [UInt8].random(count: 10_000, seed: UInt64(seed))
          ids.append(ObjectHasher.id(of: raw))
          writer.write(ids[seed], kind: .blob, raw: raw)
        }
      }
      // Make them old, oldest first: 0, 1, 2, 3.
      for (index, id) in ids.enumerated() {
        try FileManager.default.setAttributes(
          [.modificationDate: Date().addingTimeInterval(Double(-4000 + index * 100))],
          ofItemAtPath: folder.appending("objects/\(id.hex.prefix(2))/\(id.hex)").string)
      }
      // A stale user file (its command died): ignored and removed.
      try writeFile([], to: folder.appending("users/999999-1"))
      #expect(try ObjectCache.summary(of: folder).users == 0)

      // Trim to three objects' worth: the least recently used goes first.
      var result = try ObjectCache.cleanup(folder, to: 30_200)
      #expect(result.removed == 1)
      #expect(!FileManager.default.fileExists(atPath: folder.appending("users/999999-1").string))
      let reader = try ObjectCache(directory: folder)
      #expect(reader.read(ids[0], kind: .blob) == nil)

      // A running command uses object 1: cleanup to 0 keeps it.
      #expect(reader.read(ids[1], kind: .blob) != nil)
      #expect(try ObjectCache.summary(of: folder).users == 1)
      result = try ObjectCache.cleanup(folder, to: 0)
      #expect(result.removed == 2)
      #expect(result.keptInUse == 1)
      #expect(reader.read(ids[1], kind: .blob) != nil)
      _ = reader  // still running here
      withExtendedLifetime(reader) {}
    }
  }

  @Test func finishedCommandsNoLongerProtect() async throws {
    try await withTemporaryDirectory { folder in
      let raw = [UInt8].random(count: 1000, seed: 8)
      let id = ObjectHasher.id(of: raw)
      do {
        let user = try ObjectCache(directory: folder)
        user.write(id, kind: .blob, raw: raw)
        #expect(try ObjectCache.cleanup(folder, to: 0).keptInUse == 1)
      }
      let result = try ObjectCache.cleanup(folder, to: 0)
      #expect(result.removed == 1)
      #expect(result.keptInUse == 0)
    }
  }
}
