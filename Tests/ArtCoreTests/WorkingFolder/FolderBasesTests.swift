import ArtStore
import ArtTestSupport
import Glibc
import SystemPackage
import Testing

@testable import ArtCore

/// The files that say which version a working folder holds.
@Suite("Folder bases")
struct FolderBasesTests {
  let id = ObjectHasher.id(of: Array("v".utf8))

  @Test func aBaseRoundTripsAndOneFolderIsOneKeyHoweverReached() async throws {
    try await withTemporaryDirectory { folder in
      try Repository.initialize(at: folder)
      let bases = FolderBases(try Repository(root: folder))
      let artifact = try ArtifactName("ds")
      #expect(try bases.base(of: artifact) == nil)
      try bases.record(FolderBase(version: id, artifact: artifact))
      #expect(try bases.base(of: artifact)?.version == id)

      let target = folder.appending("out")
      try Syscalls.makeDirectories(target)
      #expect(symlink(target.string, folder.appending("link").string) == 0)
      let base = FolderBase(
        version: id, artifact: artifact, folder: target.string, patterns: ["images/**"])
      try bases.record(base)
      #expect(try bases.base(ofFolder: target) == base)
      #expect(try bases.base(ofFolder: folder.appending("link")) == base)
    }
  }

  @Test func aValueNeverSpillsIntoAnotherLine() throws {
    let base = FolderBase(
      version: id, artifact: try ArtifactName("ds"), folder: "/tmp/a\nversion 00",
      patterns: ["x\nversion 00"])
    let text = String(decoding: base.encoded(), as: UTF8.self)
    #expect(text.split(separator: "\n").filter { $0.hasPrefix("version ") }.count == 1)
    #expect(!text.contains("folder "))
  }

  @Test func aDamagedBaseIsAnErrorNamingIt() async throws {
    try await withTemporaryDirectory { folder in
      try Repository.initialize(at: folder)
      let repository = try Repository(root: folder)
      let file = repository.layout.artifactBase("ds")
      try writeFile(Array("art-base 1\nversion nothex\n".utf8), to: file)
      let error = #expect(throws: ArtError.self) {
        _ = try FolderBases(repository).base(of: try ArtifactName("ds"))
      }
      #expect(error?.code == .corruptData)
      #expect(error?.message.contains(file.string) == true)
    }
  }
}
