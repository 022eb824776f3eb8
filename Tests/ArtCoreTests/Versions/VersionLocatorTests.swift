import ArtStore
import ArtTestSupport
import SystemPackage
import Testing

@testable import ArtCore

/// Finding where `[PROJECT/]SPEC` lives, and bringing it here.
@Suite("Version locator")
struct VersionLocatorTests {
  @Test(
    arguments: [
      ("ds", nil, "ds"), ("vision/ds:v1", "vision", "ds:v1"), ("vision/", "vision", ""),
      ("ds:a/b", nil, "ds:a/b"),
    ] as [(String, String?, String)])
  func oneParserSplitsTheProject(text: String, project: String?, rest: String) throws {
    let split = try ProjectSpec.split(text)
    #expect(split.project == project)
    #expect(split.rest == rest)
  }

  @Test func aBadProjectNameIsAUsageError() {
    #expect(throws: ArtError.self) { try ProjectSpec.split("bad name/ds") }
  }

  @Test func bundleReferencesParseWithAndWithoutAPath() {
    #expect(BundleEntryRequest.parse("art:ds:v1")! == ("ds:v1", nil))
    #expect(BundleEntryRequest.parse("art:vision/ds:best=data/x")! == ("vision/ds:best", "data/x"))
    #expect(BundleEntryRequest.parse("s3://bucket/key") == nil)
  }

  @Test func aProjectsVersionIsFoundCopiedAndStillFoundOnceTheProjectIsGone() async throws {
    try await withTemporaryDirectory { folder in
      let here = folder.appending("here")
      let there = folder.appending("there")
      try Repository.initialize(at: here)
      try Repository.initialize(at: there)
      try writeFile(.random(count: 300_000, seed: 9), to: there.appending("data/w.bin"))
      var request = CommitRequest(artifact: try ArtifactName("ds"))
      request.contents = .folder(paths: [there.appending("data")], root: nil)
      let made = try await Committer(repository: try Repository(root: there)).commit(request)
      try Repository(root: here).addProject("vision", path: there)

      let repository = try Repository(root: here)
      let locator = VersionLocator(repository: repository, projectLock: nil, environment: [:])
      let found = try await locator.locate("vision/ds:v0")
      #expect(found.version.id == made.version.id)
      #expect(found.repository.root == there)
      #expect(found.label == "vision/ds:v0")
      #expect(found.note == nil)
      await #expect(throws: ArtError.self) { try await locator.locate("ds") }

      let brought = try await locator.bring(
        found, full: true, progress: nil, refStore: repository.refs)
      #expect((brought.copy?.objectsCopied ?? 0) > 0)
      #expect(try Imports.read(repository).entries.map(\.label) == ["vision/ds:v0"])

      // The project's folder gone, the copy made here still answers.
      try FileManager_removeTree(there)
      let copy = try await VersionLocator(
        repository: try Repository(root: here), projectLock: nil, environment: [:]
      ).locate("vision/ds:v0")
      #expect(copy.copied)
      #expect(copy.version.id == made.version.id)
      #expect(copy.note?.contains("using the copy of vision/ds:v0") == true)
    }
  }
}

extension VersionLocatorTests {
  @Test func theCacheServesWhatTheProjectNoLongerHas() async throws {
    try await withTemporaryDirectory { folder in
      let there = folder.appending("there")
      try Repository.initialize(at: there)
      try writeFile(.random(count: 400_000, seed: 4), to: there.appending("data/w.bin"))
      try writeFile(Array("small\n".utf8), to: there.appending("data/s.txt"))
      var request = CommitRequest(artifact: try ArtifactName("ds"))
      request.contents = .folder(paths: [there.appending("data")], root: nil)
      let made = try await Committer(repository: try Repository(root: there)).commit(request)
      let cache = try ObjectCache(directory: folder.appending("cache"))
      for name in ["one", "two"] {
        try Repository.initialize(at: folder.appending(name))
      }
      let first = try await Importer(
        repository: try Repository(root: folder.appending("one")),
        source: try Repository(root: there), cache: cache
      ).copy(version: made.version.id, full: true)
      #expect(first.objectsCopied > 0)
      #expect(first.fromCache == 0)
      // The project's packs are gone; everything comes from the cache.
      try FileManager_removeTree(there.appending(".art/objects/packs"))
      try Syscalls.makeDirectories(there.appending(".art/objects/packs"))
      let source = try Repository(root: there)
      #expect(source.store.allPacks.isEmpty)
      let second = try await Importer(
        repository: try Repository(root: folder.appending("two")), source: source, cache: cache
      ).copy(version: made.version.id, full: true)
      #expect(second.objectsCopied == first.objectsCopied)
      #expect(second.fromCache == first.objectsCopied)
      let copied = try Repository(root: folder.appending("two"))
      #expect(
        try TreeListing.entries(of: made.version.record.manifest, in: copied.store).count == 2)
    }
  }
}

/// Removes `path` and everything below it.
private func FileManager_removeTree(_ path: FilePath) throws {
  _ = try ArtProcess.runTool("/bin/rm", ["-rf", path.string], in: FilePath("/"))
}
