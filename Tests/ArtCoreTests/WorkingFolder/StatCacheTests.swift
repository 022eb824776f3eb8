import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

@testable import ArtCore

@Suite("Stat cache")
struct StatCacheTests {
  /// Commits `data` with the repository's stat cache and writes the cache,
  /// with the clock `ahead` ms (by default, past the racy window of files
  /// just written).
  private func snapshot(_ repository: Repository, _ data: FilePath, ahead: Int64 = 2_100)
    async throws -> Snapshot
  {
    try await WallClock.$offset.withValue(ahead) { try await snapshotNow(repository, data) }
  }

  private func snapshotNow(_ repository: Repository, _ data: FilePath) async throws -> Snapshot {
    let cache = StatCache(repository: repository)
    var snapshotter = Snapshotter(
      repository: repository, writer: repository.makeWriter(), statCache: cache)
    // As a commit's: the folder holds the tree last stored from it.
    snapshotter.heldTree = cache.tree(data)?.id
    let snapshot = try await snapshotter.writeManifest(of: data)
    #expect(snapshot.statCache?.write(store: repository.store) == nil)
    return snapshot
  }

  /// Sets every file under `data` to a modification time well in the past.
  ///
  /// Then the cache does not leave them out as racy (ctime stays recent:
  /// ``snapshot(_:_:ahead:)`` moves the clock past it).
  private func settle(_ folder: FilePath) async throws {
    _ = try ArtProcess.runTool(
      "/usr/bin/find", ["data", "-exec", "touch", "-m", "-d", "@1790000000", "{}", "+"], in: folder)
  }

  /// A repository in `folder` with `count` settled files of about `size`
  /// bytes spread over `data/d0`, `data/d1`…, snapshotted once (cache
  /// written).
  private func committedFolder(
    _ folder: FilePath, files count: Int, size: Int, folders: Int = 2
  ) async throws -> (Repository, FilePath, Snapshot) {
    try Repository.initialize(at: folder)
    let data = folder.appending("data")
    for i in 0..<count {
      try writeFile(
        .text(count: size + i, seed: UInt64(i)), to: data.appending("d\(i % folders)/f\(i)"))
    }
    try await settle(folder)
    let repository = try Repository(root: folder)
    return (repository, data, try await snapshot(repository, data))
  }

  /// Expects every object of the tree `id` in the store.
  private func expectStored(_ id: ObjectID, _ repository: Repository) throws {
    let entries = try TreeListing.entries(of: id, in: repository.store)
    #expect(!entries.isEmpty)
    for (path, entry) in entries {
      #expect(repository.store.contains(entry.id), "\(path)")
    }
  }

  @Test func unchangedFilesAreNotReadAndGoneFilesAreForgotten() async throws {
    try await withTemporaryDirectory { folder in
      try Repository.initialize(at: folder)
      let data = folder.appending("data")
      for i in 0..<20 {
        try writeFile(.text(count: 500 + i, seed: UInt64(i)), to: data.appending("d\(i % 3)/f\(i)"))
      }
      try await settle(folder)
      let repository = try Repository(root: folder)
      let first = try await snapshot(repository, data)
      #expect(first.filesFromCache == 0)

      let second = try await snapshot(repository, data)
      #expect(second.filesFromCache == 20)
      #expect(second.manifestID == first.manifestID)

      try FileManager.default.removeItem(atPath: data.appending("d0/f0").string)
      try writeFile(Array("changed".utf8), to: data.appending("d1/f1"))
      // With the clock a day behind, d1/f1 (just written) is racy, however
      // slowly a loaded machine gets from its write to the cache's.
      let third = try await snapshot(repository, data, ahead: -86_400_000)
      #expect(third.files == 19)
      #expect(third.filesFromCache == 18)
      let cache = StatCache(repository: repository)
      #expect(cache.folder(data.appending("d0"))?[Array("f0".utf8)] == nil)
      #expect(cache.folder(data.appending("d1"))?[Array("f1".utf8)] == nil)
      // Once settled, everything is cached, d1/f1 with its new content.
      _ = try await snapshot(repository, data)
      let settled = StatCache(repository: repository)
      #expect(settled.folder(data.appending("d0"))?[Array("f0".utf8)] == nil)
      #expect(settled.folder(data.appending("d0"))?[Array("f3".utf8)] != nil)
      #expect(
        settled.folder(data.appending("d1"))?[Array("f1".utf8)]?.content.id
          == ObjectHasher.id(of: Array("changed".utf8)))
      // A modification time in the future is always racy: never cached.
      _ = try ArtProcess.runTool(
        "/usr/bin/touch", ["-m", "-d", "@4102444800", "data/d0/f3"], in: folder)
      _ = try await snapshot(repository, data)
      #expect(
        StatCache(repository: repository).folder(data.appending("d0"))?[Array("f3".utf8)] == nil)
      #expect(
        StatCache(repository: repository).folder(data.appending("d0"))?[Array("f6".utf8)] != nil)
    }
  }

  @Test func namesInAnyScriptAreFoundByTheirBytes() async throws {
    try await withTemporaryDirectory { folder in
      try Repository.initialize(at: folder)
      let data = folder.appending("data")
      // Byte order differs from String order for some of these ("Z" < "a"
      // < "é" < "ü" < "日本", composed and decomposed forms apart).
      let names = ["Z", "a", "b.txt", "é", "e\u{301}", "ü", "日本", "Ab", "a b", "~", "0"]
      for (i, name) in names.enumerated() {
        try writeFile(.text(count: 50 + i, seed: UInt64(i)), to: data.appending(name))
      }
      try await settle(folder)
      let repository = try Repository(root: folder)
      let first = try await snapshot(repository, data)
      #expect(first.files == names.count)
      let second = try await snapshot(repository, data)
      #expect(second.filesFromCache == names.count)
      #expect(second.manifestID == first.manifestID)
      let view = StatCache(repository: repository).view(data)
      #expect(view?.count == names.count)
      for name in names { #expect(view?[Array(name.utf8)] != nil, "\(name)") }
      #expect(view?[Array("missing".utf8)] == nil)
      #expect(view?[[]] == nil)
    }
  }

  @Test func aFileTheCacheLeftOutIsNeverHiddenByAKeptManifest() async throws {
    try await withTemporaryDirectory { folder in
      let (repository, data, _) = try await committedFolder(folder, files: 4, size: 80, folders: 1)
      // f3 changes, and e/only appears, with a modification time in the
      // future: always racy, so the cache leaves them out while their
      // folders' manifests list them.
      try writeFile(Array("new\n".utf8), to: data.appending("d0/f3"))
      try writeFile(Array("racy\n".utf8), to: data.appending("e/only"))
      _ = try ArtProcess.runTool(
        "/usr/bin/touch", ["-m", "-d", "@4102444800", "data/d0/f3", "data/e/only"], in: folder)
      _ = try await snapshot(repository, data)
      #expect(StatCache(repository: repository).folder(data.appending("d0"))?.count == 3)
      #expect(StatCache(repository: repository).folder(data.appending("e")) == nil)
      // Gone: every file the cache still knows matches, but the folders
      // have changed.
      try FileManager.default.removeItem(atPath: data.appending("d0/f3").string)
      try FileManager.default.removeItem(atPath: data.appending("e/only").string)
      let after = try await snapshot(repository, data)
      let fresh = try await Snapshotter(repository: repository, writer: repository.makeWriter())
        .writeManifest(of: data)
      #expect(after.manifestID == fresh.manifestID)
      #expect(after.files == 3)
      let listing = try TreeListing.entries(of: after.manifestID, in: repository.store)
      #expect(listing["d0/f3"] == nil)
      #expect(listing["e/only"] == nil)
    }
  }

  @Test func aCacheWithSizesNoFileHasIsDamage() async throws {
    try await withTemporaryDirectory { folder in
      try Repository.initialize(at: folder)
      let data = folder.appending("data")
      try writeFile(.text(count: 100, seed: 1), to: data.appending("sub/f"))
      try await settle(folder)
      let repository = try Repository(root: folder)
      _ = try await snapshot(repository, data)
      let path = folder.appending(".art/state/stat-cache")
      let good = try readFile(path)
      #expect(StatCache(repository: repository).folder(data.appending("sub"))?.count == 1)
      /// `good` with the 8 bytes at `offset` set to `value`, its CRC made right.
      func crafted(_ value: UInt64, at offset: Int) -> [UInt8] {
        var bytes = Array(good.dropLast(4))
        withUnsafeBytes(of: value.littleEndian) {
          bytes.replaceSubrange(offset..<offset + 8, with: $0)
        }
        let checksum = bytes.withUnsafeBytes { crc32($0) }
        withUnsafeBytes(of: checksum.littleEndian) { bytes += $0 }
        return bytes
      }
      // The last section is sub's (its path sorts after data's): its one
      // file's 69 bytes, size first, end where the CRC starts. The first,
      // after the pack list, is data's: its manifest's size is 40 bytes in.
      let fileSize = good.count - 4 - 69
      let sectionsStart = 12 + 32 * Int(good[8])
      for (value, offset) in [(UInt64.max, fileSize), (UInt64.max, sectionsStart + 8 + 32)] {
        try writeFile(crafted(value, at: offset), to: path)
        let cache = StatCache(repository: repository)
        #expect(cache.folder(data.appending("sub")) == nil, "at \(offset)")
        #expect(cache.tree(data) == nil, "at \(offset)")
        // A commit over it reads everything and writes a sound cache again.
        let again = try await snapshot(repository, data)
        #expect(again.filesFromCache == 0)
        #expect(StatCache(repository: repository).folder(data.appending("sub"))?.count == 1)
      }
    }
  }

  @Test func aDamagedCacheIsIgnored() async throws {
    try await withTemporaryDirectory { folder in
      try Repository.initialize(at: folder)
      let data = folder.appending("data")
      for i in 0..<5 {
        try writeFile(.text(count: 100, seed: UInt64(i)), to: data.appending("f\(i)"))
      }
      try await settle(folder)
      let repository = try Repository(root: folder)
      _ = try await snapshot(repository, data)
      let path = folder.appending(".art/state/stat-cache")
      var bytes = try readFile(path)
      #expect(StatCache(repository: repository).folder(data)?.count == 5)
      for position in [0, 9, bytes.count / 2, bytes.count - 1] {
        bytes[position] ^= 0x40
        try writeFile(bytes, to: path)
        let damaged = StatCache(repository: repository)
        #expect(damaged.folder(data) == nil, "flip at \(position)")
        bytes[position] ^= 0x40
      }
      try writeFile(Array(bytes.dropLast(7)), to: path)
      #expect(StatCache(repository: repository).folder(data) == nil)
      // A commit with a damaged cache reads everything and repairs it.
      let again = try await snapshot(repository, data)
      #expect(again.filesFromCache == 0)
      #expect(StatCache(repository: repository).folder(data)?.count == 5)
    }
  }

  @Test func anUnchangedFolderKeepsItsManifestUntilAnythingInItChanges() async throws {
    try await withTemporaryDirectory { folder in
      try Repository.initialize(at: folder)
      let data = folder.appending("data")
      for i in 0..<12 {
        try writeFile(
          .text(count: 300 + i, seed: UInt64(i)), to: data.appending("d\(i % 3)/s/f\(i)"))
      }
      try FileManager.default.createSymbolicLink(
        atPath: data.appending("d1/link").string, withDestinationPath: "s/f1")
      try await settle(folder)
      let repository = try Repository(root: folder)
      let first = try await snapshot(repository, data)
      #expect(StatCache(repository: repository).tree(data)?.id == first.manifestID)

      // Nothing changed: no manifest is even hashed again (only the link's
      // blob is looked up), and the tree is the same.
      let second = try await snapshot(repository, data)
      #expect(second.manifestID == first.manifestID)
      #expect(second.statistics.objectsDeduplicated == 1)
      #expect(second.statistics.objectsWritten == 0)

      // Each change below a folder's files gives a new tree, the same one
      // a snapshot without the cache makes.
      func expectFresh(_ change: String) async throws {
        let cached = try await snapshot(repository, data)
        let fresh = try await Snapshotter(repository: repository, writer: repository.makeWriter())
          .writeManifest(of: data)
        #expect(cached.manifestID == fresh.manifestID, "\(change)")
        try expectStored(cached.manifestID, repository)
      }
      var before = second.manifestID
      func expectChanged(_ change: String) async throws {
        try await expectFresh(change)
        let now = try await snapshot(repository, data)
        #expect(now.manifestID != before, "\(change)")
        before = now.manifestID
      }
      try FileManager.default.removeItem(atPath: data.appending("d1/link").string)
      try FileManager.default.createSymbolicLink(
        atPath: data.appending("d1/link").string, withDestinationPath: "s/f4")
      try await expectChanged("a link's target")
      try FileManager.default.createDirectory(
        atPath: data.appending("d2/s/empty").string, withIntermediateDirectories: false)
      try await expectChanged("a new empty folder")
      _ = try ArtProcess.runTool("/bin/chmod", ["700", "data/d0/s"], in: folder)
      try await expectChanged("a folder's mode")
      try writeFile(Array("s\n".utf8), to: data.appending("d0/.artignore"))
      try await settle(folder)
      try await expectChanged("an ignored folder")
      try FileManager.default.removeItem(atPath: data.appending("d0/.artignore").string)
      try await expectChanged("the folder back")
      _ = try ArtProcess.runTool("/bin/chmod", ["600", "data/d2/s/f2"], in: folder)
      try await expectChanged("a file's mode")
    }
  }

  @Test func aManifestGoneFromTheStoreIsWrittenAgain() async throws {
    try await withTemporaryDirectory { folder in
      let (_, data, first) = try await committedFolder(folder, files: 6, size: 200)
      // The store loses every object (as gc would once no version names
      // them); the cache still names the folders' manifests.
      let packs = folder.appending(".art/objects/packs")
      for name in try FileManager.default.contentsOfDirectory(atPath: packs.string) {
        try FileManager.default.removeItem(atPath: packs.appending(name).string)
      }
      let again = try await snapshot(try Repository(root: folder), data)
      #expect(again.manifestID == first.manifestID)
      #expect(again.filesFromCache == 0)
      try expectStored(again.manifestID, try Repository(root: folder))
    }
  }

  @Test func aCacheOfTheFormatBeforeManifestsStillSparesReads() async throws {
    try await withTemporaryDirectory { folder in
      let (repository, data, first) = try await committedFolder(folder, files: 8, size: 100)
      // Format 2: no packs, and the same sections without the 80 bytes of
      // manifest fields.
      let path = folder.appending(".art/state/stat-cache")
      let bytes = try readFile(path)
      var old = Array("ARTSTAT".utf8) + [2]
      var position = 12 + 32 * (Int(bytes[8]) | Int(bytes[9]) << 8)
      while position < bytes.count - 4 {
        let pathLength = Int(bytes[position]) | Int(bytes[position + 1]) << 8
        let count = Int(bytes[position + 4]) | Int(bytes[position + 5]) << 8
        old += bytes[position..<position + 8]
        position += 88
        old += bytes[position..<position + pathLength]
        position += pathLength
        for _ in 0..<count {
          let nameLength = Int(bytes[position]) | Int(bytes[position + 1]) << 8
          old += bytes[position..<position + 2 + nameLength + 69]
          position += 2 + nameLength + 69
        }
      }
      let checksum = old.withUnsafeBytes { crc32($0) }
      withUnsafeBytes(of: checksum.littleEndian) { old += $0 }
      try writeFile(old, to: path)
      let cache = StatCache(repository: repository)
      #expect(cache.folder(data.appending("d0"))?.count == 4)
      #expect(cache.tree(data) == nil)
      let second = try await snapshot(repository, data)
      #expect(second.filesFromCache == 8)
      #expect(second.manifestID == first.manifestID)
      #expect(StatCache(repository: repository).tree(data)?.id == first.manifestID)
    }
  }
}
