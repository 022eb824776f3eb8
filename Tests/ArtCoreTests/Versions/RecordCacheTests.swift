import ArtStore
import ArtTestSupport
import SystemPackage
import Testing

@testable import ArtCore

#if canImport(Glibc)
import Glibc
#endif

/// `.art/state/records`: version records read before, served while their
/// packs stand and their bytes hash to their ids.
@Suite("Record cache")
struct RecordCacheTests {
  /// A repository in `root` with `count` versions of `ds` and no record
  /// cache yet: their ids, and where the cache goes.
  func history(_ count: Int, in root: FilePath) async throws -> (ids: [ObjectID], cache: FilePath) {
    try Repository.initialize(at: root)
    var ids: [ObjectID] = []
    for n in 0..<count {
      try writeFile(Array("version \(n)\n".utf8), to: root.appending("data/a.txt"))
      var request = CommitRequest(artifact: try ArtifactName("ds"))
      request.contents = .folder(paths: [root.appending("data")], root: nil)
      let made = try await Committer(repository: try Repository(root: root)).commit(request)
      ids.append(made.version.id)
    }
    let cache = RepositoryLayout(root.appending(".art")).records
    try? Syscalls.unlink(cache)
    return (ids, cache)
  }

  /// Reads every record through a new repository; checks each is the
  /// store's own.
  func readAll(_ ids: [ObjectID], in root: FilePath) throws {
    let repository = try Repository(root: root, cachingRecords: true)
    for id in ids {
      #expect(try repository.versionRecord(id) == repository.store.versionRecord(id))
    }
  }

  /// The bytes of format 1: header, then the record's id, its pack's id,
  /// its length and its bytes.
  @Test func theFileIsPinned() async throws {
    try await withTemporaryDirectory { folder in
      let (ids, path) = try await history(1, in: folder)
      try readAll(ids, in: folder)
      let store = try Repository(root: folder).store
      let record = try store.read(ids[0], as: .version)
      let pack = try #require(try store.locate(ids[0])).pack.id
      var expected = Array("ARTRECS".utf8) + [1] + ids[0].bytes + pack.bytes
      withUnsafeBytes(of: UInt32(record.count).littleEndian) { expected += $0 }
      expected += record
      #expect(try readFile(path) == expected)
    }
  }

  /// A cache that cannot be written (a folder in its place) costs only
  /// reads: every record still comes from the store.
  @Test func aCacheThatCannotBeWrittenCostsOnlyReads() async throws {
    try await withTemporaryDirectory { folder in
      let (ids, path) = try await history(3, in: folder)
      try Syscalls.makeDirectories(path.appending("in-the-way"))
      try readAll(ids, in: folder)
      try readAll(ids, in: folder)
      #expect(Syscalls.isDirectory(path))
      #expect(try Syscalls.linkStatus(path.appending("in-the-way"))?.kind == .directory)
    }
  }

  /// Records read once are served from the file after.
  ///
  /// A second reader adds nothing to it. A merge of the packs leaves every entry stale, so
  /// each record is read from the store again and added.
  @Test func recordsAreServedWhileTheirPacksStand() async throws {
    try await withTemporaryDirectory { folder in
      let (ids, path) = try await history(4, in: folder)
      try readAll(ids, in: folder)
      let bytes = try readFile(path)
      #expect(bytes.starts(with: Array("ARTRECS".utf8) + [1]))
      #expect(bytes.count > 8 + 4 * 68)
      try readAll(ids, in: folder)
      #expect(try readFile(path) == bytes)

      let report = try await Repacker(
        repository: try Repository(root: folder), compression: nil, maximumPackSize: 1 << 30
      ).run()
      #expect(report.packsAfter == 1)
      try readAll(ids, in: folder)
      let after = try readFile(path)
      #expect(after.count > bytes.count && Array(after.prefix(bytes.count)) == bytes)
      try readAll(ids, in: folder)
      #expect(try readFile(path) == after)
    }
  }

  /// A damaged entry is not served: the record comes from the store.
  ///
  /// The next miss writes the file whole, of the entries that check. A
  /// file cut short serves the entries before the cut.
  @Test func damagedOrCutEntriesAreReadFromTheStore() async throws {
    try await withTemporaryDirectory { folder in
      let (ids, path) = try await history(3, in: folder)
      try readAll(Array(ids.prefix(2)), in: folder)
      let whole = try readFile(path)
      // The last byte of the second entry's record.
      var damaged = whole
      damaged[damaged.count - 1] ^= 0x20
      try writeFile(damaged, to: path)
      try readAll(ids, in: folder)
      let rewritten = try readFile(path)
      #expect(rewritten != damaged && rewritten.count > whole.count)
      try readAll(ids, in: folder)
      #expect(try readFile(path) == rewritten)

      try writeFile(Array(rewritten.dropLast(3)), to: path)
      try readAll(ids, in: folder)
      let mended = try readFile(path)
      #expect(mended.count == rewritten.count)
      try readAll(ids, in: folder)
      #expect(try readFile(path) == mended)

      // Another format: not read, and written anew.
      try writeFile(Array("ARTRECS".utf8) + [9] + Array(mended.dropFirst(8)), to: path)
      try readAll(ids, in: folder)
      let anew = try readFile(path)
      #expect(anew.starts(with: Array("ARTRECS".utf8) + [1]) && anew.count == mended.count)
    }
  }

  /// A link put at the cache's place is neither read nor written through,
  /// and another project's repository neither reads nor writes its cache.
  @Test func linksAndOtherProjectsAreLeftAlone() async throws {
    try await withTemporaryDirectory { folder in
      let here = folder.appending("here")
      let (ids, path) = try await history(2, in: here)
      try readAll(ids, in: here)
      let bytes = try readFile(path)
      let outside = folder.appending("outside")
      try writeFile(bytes, to: outside)
      try Syscalls.unlink(path)
      #expect(symlink(outside.string, path.string) == 0)
      try readAll(ids, in: here)
      #expect(try readFile(outside) == bytes)
      #expect(try Syscalls.linkStatus(path)?.kind == .regular)

      let there = folder.appending("there")
      try Repository.initialize(at: there)
      try Repository(root: there).addProject("here", path: here)
      try Syscalls.unlink(path)
      let project = try Repository(root: there).project("here", lock: nil)
      for id in ids {
        #expect(try project.versionRecord(id).manifest == project.store.versionRecord(id).manifest)
      }
      #expect(try Syscalls.linkStatus(path) == nil)
    }
  }
}
