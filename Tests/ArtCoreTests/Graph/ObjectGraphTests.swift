import ArtStore
import ArtTestSupport
import SystemPackage
import Testing

@testable import ArtCore

/// The one walk of what versions reach, and its two local visitors.
@Suite("Object graph")
struct ObjectGraphTests {
  /// A repository with `ds:v0` (a small file, a chunked file, a link and a
  /// nested folder) and `bundle:v0`, whose bundle entry `ds` names it.
  private func makeRepository(_ folder: FilePath) async throws -> (
    Repository, ds: ResolvedVersion, bundle: ResolvedVersion
  ) {
    try Repository.initialize(at: folder)
    let data = folder.appending("data")
    try writeFile(Array("hello\n".utf8), to: data.appending("a.txt"))
    try writeFile(.random(count: 2_500_000, seed: 3), to: data.appending("sub/deep/big.bin"))
    try Syscalls.symlink(target: Array("a.txt".utf8), at: data.appending("link"))
    let repository = try Repository(root: folder)
    var request = CommitRequest(artifact: try ArtifactName("ds"))
    request.contents = .folder(paths: [data], root: nil)
    let ds = try await Committer(repository: repository).commit(request).version
    try Syscalls.makeDirectories(folder.appending("empty"))
    var bundleRequest = CommitRequest(artifact: try ArtifactName("bundle"))
    bundleRequest.contents = .folder(paths: [folder.appending("empty")], root: nil)
    bundleRequest.allowEmpty = true
    bundleRequest.bundleEntries = [
      BundleEntryRequest(path: ["ds"], id: ds.id, size: ds.record.size)
    ]
    let bundle = try await Committer(repository: repository).commit(bundleRequest).version
    return (try Repository(root: folder), ds, bundle)
  }

  @Test func aBundleReachesEverythingOfTheVersionItNames() async throws {
    try await withTemporaryDirectory { folder in
      let (repository, ds, bundle) = try await makeRepository(folder)
      var alone = Reachability(store: repository.store)
      #expect(alone.mark(version: ds.id, label: "ds:v0")?.artifact == "ds")
      var both = Reachability(store: repository.store)
      both.mark(version: bundle.id, label: "bundle:v0")
      #expect(alone.problems.isEmpty)
      #expect(both.problems.isEmpty)
      // The bundle's record and top manifest come on top of all of ds.
      #expect(alone.live.isSubset(of: both.live))
      #expect(both.live.count == alone.live.count + 2)
      #expect(alone.chunkLists.count == 1)
      // Every object of the store is reached but the empty folder the
      // bundle was committed from (its tree is the bundle entry alone).
      let stored = Set(
        repository.store.allPacks.flatMap { pack in
          (0..<pack.index.count).map { pack.index.id(at: $0) }
        })
      #expect(stored.subtracting(both.live) == [Manifest.emptyID])
    }
  }

  @Test func aRecordAloneDoesNotStopALaterWalkFromFollowingIt() async throws {
    try await withTemporaryDirectory { folder in
      let (repository, ds, _) = try await makeRepository(folder)
      var reach = Reachability(store: repository.store)
      reach.mark([.record(ds.id, label: "input")])
      #expect(reach.live == [ds.id])
      reach.mark(version: ds.id, label: "ds:v0")
      #expect(reach.live.count > 5)
      #expect(reach.live.contains(ds.record.manifest))
    }
  }

  /// Writes `/sub/gone.bin` naming a file never stored (`/gone.bin` when
  /// not `nested`); returns the never-stored id and the tree's manifests,
  /// top first.
  private func treeNamingAMissingFile(
    in folder: FilePath, content: String = "never stored", nested: Bool = true
  ) throws -> (ghost: ObjectID, manifests: [ObjectID]) {
    let ghost = ObjectHasher.id(of: Array(content.utf8))
    let writer = try Repository(root: folder).makeWriter()
    let compressor = Compressor(compression: writer.compression)
    var entry = ManifestEntry(
      name: "gone.bin", kind: .file, id: ghost, size: UInt64(content.utf8.count), mode: 0o644)
    var manifests: [ObjectID] = []
    for _ in 0..<(nested ? 2 : 1) {
      let id = try writer.write(
        try Manifest(entries: [entry]).encoded(), kind: .manifest, compressor: compressor)
      manifests.insert(id, at: 0)
      entry = ManifestEntry(name: "sub", kind: .folder, id: id, size: entry.size, mode: 0o755)
    }
    _ = try writer.finish()
    return (ghost, manifests)
  }

  @Test func aMissingObjectIsCollectedWithItsPlaceOrThrown() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await makeRepository(folder)
      let (ghost, manifests) = try treeNamingAMissingFile(in: folder)
      let (topID, innerID) = (manifests[0], manifests[1])
      let store = try Repository(root: folder).store

      var collecting = ObjectGraph(source: LocalObjects(store), onProblem: .collect)
      var marking = MarkingVisitor()
      try await collecting.walk([.tree(topID, label: "part")], visitor: &marking)
      #expect(collecting.problems.count == 1)
      #expect(collecting.problems.first?.id == ghost)
      #expect(collecting.problems.first?.detail == "missing")
      #expect(collecting.problems.first?.referencedBy == "part /sub/gone.bin")
      #expect(collecting.reached == [topID, innerID])

      var stopping = ObjectGraph(source: LocalObjects(store), onProblem: .stop)
      await #expect(throws: ArtError.self) {
        try await stopping.walk([.tree(topID, label: "part")], visitor: &marking)
      }
      do {
        try stopping.walkNow([.tree(topID, label: "again")], visitor: &marking)
      } catch let error as ArtError {
        #expect(error.code == .corruptData)
        #expect(error.message.contains("gone.bin"), "\(error.message)")
      }
    }
  }

  /// Without blob checks (a push's walk of what the remote has), files
  /// count as reached by their ids alone, missing or not, and so does a
  /// file stored here as a chunk list (the remote may hold it whole);
  /// folders are still read and followed.
  @Test func aWalkWithoutBlobChecksMarksIdsWithoutLookingThemUp() async throws {
    try await withTemporaryDirectory { folder in
      let (_, ds, _) = try await makeRepository(folder)
      let (ghost, manifests) = try treeNamingAMissingFile(in: folder, nested: false)
      let topID = manifests[0]
      let store = try Repository(root: folder).store

      var checked = Reachability(store: store)
      checked.mark([.tree(topID, label: "t"), .version(ds.id, label: "ds:v0")])
      #expect(checked.problems.map(\.id) == [ghost])
      var unchecked = Reachability(store: store)
      unchecked.mark(
        [.tree(topID, label: "t"), .version(ds.id, label: "ds:v0")], checkingBlobs: false)
      #expect(unchecked.problems.isEmpty)
      // The same ids, the missing file's too, but the chunked file counts
      // by its id alone: its list is not read, its chunks not marked.
      let big = ObjectHasher.id(of: .random(count: 2_500_000, seed: 3))
      let chunks = try ChunkList(
        decoding: store.read(big, as: .chunkList), id: big, subject: "big.bin"
      ).chunks.map(\.id)
      #expect(chunks.count > 2 && checked.live.isSuperset(of: chunks))
      #expect(unchecked.live == checked.live.union([ghost]).subtracting(chunks))
      #expect(unchecked.live.contains(big))
      #expect(checked.chunkLists == [big] && unchecked.chunkLists.isEmpty)
      // Checks are back on for the next walk.
      let (other, again) = try treeNamingAMissingFile(
        in: folder, content: "never stored either", nested: false)
      let againID = again[0]
      unchecked.mark([.tree(againID, label: "u")])
      #expect(unchecked.problems.map(\.id) == [other])
    }
  }

  @Test func aWrongKindIsAProblemNotARead() async throws {
    try await withTemporaryDirectory { folder in
      let (repository, ds, _) = try await makeRepository(folder)
      // A version id where a blob is expected.
      var reach = Reachability(store: repository.store)
      reach.mark([.tree(ds.record.manifest, label: "ds")])
      let blob = try #require(
        reach.live.first { (try? repository.store.entry($0).kind) == .blob })
      var graph = ObjectGraph(source: LocalObjects(repository.store), onProblem: .collect)
      var marking = MarkingVisitor()
      try graph.walkNow([.version(blob, label: "not a version")], visitor: &marking)
      #expect(graph.problems.first?.detail == "is a blob, expected a version")
      #expect(graph.reached.isEmpty)
    }
  }

  /// A file's content may be a blob or a chunk list, whatever its entry
  /// says; any other kind stays a problem, also for an object the walk
  /// reached before as what it is (a crafted tree naming one folder as a
  /// folder and as a file, or a version record as a file).
  @Test func aFilesContentIsEitherKindAndNothingElseEvenWhenSeenBefore() async throws {
    try await withTemporaryDirectory { folder in
      let (repository, ds, _) = try await makeRepository(folder)
      let small = ObjectHasher.id(of: Array("hello\n".utf8))
      let big = ObjectHasher.id(of: .random(count: 2_500_000, seed: 3))
      let writer = repository.makeWriter()
      let compressor = Compressor(compression: writer.compression)
      func tree(_ entries: [ManifestEntry]) throws -> ObjectID {
        try writer.write(
          Manifest(entries: entries).encoded(), kind: .manifest, compressor: compressor)
      }
      // Each kind named as the other: both are the file.
      let swapped = try tree([
        ManifestEntry(name: "a", kind: .chunked, id: small, size: 6, mode: 0o644),
        ManifestEntry(name: "b", kind: .file, id: big, size: 2_500_000, mode: 0o644),
      ])
      let crafted = try tree([
        ManifestEntry(name: "sub", kind: .folder, id: swapped, size: 0, mode: 0o755),
        ManifestEntry(name: "y", kind: .file, id: swapped, size: 0, mode: 0o644),
        ManifestEntry(name: "w", kind: .file, id: ds.id, size: 0, mode: 0o644),
        ManifestEntry(name: "x", kind: .chunked, id: ds.record.manifest, size: 0, mode: 0o644),
      ])
      _ = try writer.finish()
      let store = try Repository(root: folder).store
      var graph = ObjectGraph(source: LocalObjects(store), onProblem: .collect)
      var marking = MarkingVisitor()
      try graph.walkNow(
        [.version(ds.id, label: "ds:v0"), .tree(crafted, label: "crafted")], visitor: &marking)
      let problems = Set(graph.problems.map { "\($0.referencedBy): \($0.detail)" })
      #expect(
        problems == [
          "crafted /y: is a manifest, expected a blob",
          "crafted /w: is a version, expected a blob",
          "crafted /x: is a manifest, expected a chunklist",
        ], "\(problems)")
      #expect(graph.reached.isSuperset(of: [small, big, swapped]))
    }
  }

  @Test func listingsExpandBundlesAndListAFolderAtEveryPath() async throws {
    try await withTemporaryDirectory { folder in
      let (repository, ds, bundle) = try await makeRepository(folder)
      let plain = try TreeListing.entries(of: bundle.record.manifest, in: repository.store)
      #expect(plain["ds"]?.kind == .bundle)
      let expanded = try TreeListing.entries(
        of: bundle.record.manifest, in: repository.store, expandingBundles: true)
      #expect(expanded["ds"] == nil)
      #expect(expanded["ds/a.txt"]?.kind == .file)
      #expect(expanded["ds/sub/deep/big.bin"]?.kind == .chunked)
      #expect(expanded["ds/link"]?.kind == .symlink)

      // One folder at two paths is listed at both.
      let writer = repository.makeWriter()
      let compressor = Compressor(compression: writer.compression)
      let top = try Manifest(entries: [
        ManifestEntry(name: "x", kind: .folder, id: ds.record.manifest, size: 0, mode: 0o755),
        ManifestEntry(name: "y", kind: .folder, id: ds.record.manifest, size: 0, mode: 0o755),
      ])
      let topID = try writer.write(top.encoded(), kind: .manifest, compressor: compressor)
      _ = try writer.finish()
      let twice = try TreeListing.entries(of: topID, in: Repository(root: folder).store)
      #expect(twice["x/a.txt"] != nil)
      #expect(twice["y/sub/deep/big.bin"] != nil)
      #expect(twice.count == 6)
    }
  }
}
