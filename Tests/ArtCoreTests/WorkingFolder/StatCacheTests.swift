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
    let snapshot = try await Snapshotter(
      repository: repository, writer: repository.makeWriter(),
      statCache: StatCache(repository: repository)
    ).writeManifest(of: data)
    #expect(snapshot.statCache?.write() == nil)
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
      // With the clock a minute behind, d1/f1 (just written) is racy.
      let third = try await snapshot(repository, data, ahead: -60_000)
      #expect(third.files == 19)
      #expect(third.filesFromCache == 18)
      let cache = StatCache(repository: repository)
      #expect(cache.folder(data.appending("d0"))?["f0"] == nil)
      #expect(cache.folder(data.appending("d1"))?["f1"] == nil)
      // Once settled, everything is cached, d1/f1 with its new content.
      _ = try await snapshot(repository, data)
      let settled = StatCache(repository: repository)
      #expect(settled.folder(data.appending("d0"))?["f0"] == nil)
      #expect(settled.folder(data.appending("d0"))?["f3"] != nil)
      #expect(
        settled.folder(data.appending("d1"))?["f1"]?.content.id
          == ObjectHasher.id(of: Array("changed".utf8)))
      // A modification time in the future is always racy: never cached.
      _ = try ArtProcess.runTool(
        "/usr/bin/touch", ["-m", "-d", "@4102444800", "data/d0/f3"], in: folder)
      _ = try await snapshot(repository, data)
      #expect(StatCache(repository: repository).folder(data.appending("d0"))?["f3"] == nil)
      #expect(StatCache(repository: repository).folder(data.appending("d0"))?["f6"] != nil)
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
}
