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

  /// Versions a checkout began writing round-trip in order with their
  /// patterns; the newest 8 are kept, and fewer when the file would pass
  /// the size a base file is read up to.
  @Test func partialVersionsRoundTripNewestKept() throws {
    let artifact = try ArtifactName("ds")
    let ids = (0..<12).map { ObjectHasher.id(of: Array("v\($0)".utf8)) }
    var base = FolderBase(version: id, artifact: artifact, folder: "/tmp/out")
    for (index, version) in ids.enumerated() {
      base = base.writing(version, patterns: index % 2 == 0 ? [] : ["images/**", "a b"])
    }
    base = base.writing(ids[4], patterns: [])  // again: moves to the newest
    let expected = (ids[5..<12] + [ids[4]]).map { $0 }
    #expect(base.partial.map(\.version) == expected)
    #expect(base.partial.last?.patterns == [])
    #expect(base.partial.first?.patterns == ["images/**", "a b"])
    let parsed = try FolderBase.parse(base.encoded(), file: "/tmp/base")
    #expect(parsed == base)
    // Its own version, which the base covers: nothing to add.
    #expect(FolderBase(version: id, artifact: artifact).writing(id, patterns: []).partial.isEmpty)

    let long = (0..<300).map { "folder\($0)/" + String(repeating: "x", count: 40) + "/**" }
    var big = FolderBase(version: id, artifact: artifact)
    for version in ids.prefix(6) { big = big.writing(version, patterns: long) }
    #expect(big.encoded().count <= 64 << 10)
    #expect(big.partial.count < 6 && big.partial.last?.version == ids[5])
    #expect(try FolderBase.parse(big.encoded(), file: "/tmp/base") == big)
  }

  @Test(arguments: [
    "partial nothex\n", "partial-path images\n",
    "partial \(String(repeating: "ab", count: 32))\npartial-path ../up\n",
    "partial \(String(repeating: "ab", count: 32))\npartial-path\n",
    "partial \(String(repeating: "ab", count: 32))\npartial-path \n", "partial\n", "path\n",
    "path ../up\n",
  ])
  func aDamagedPartialLineIsDamage(line: String) throws {
    let text = "art-base 1\nversion \(id.hex)\nartifact ds\n" + line
    let error = #expect(throws: ArtError.self) {
      _ = try FolderBase.parse(Array(text.utf8), file: "/tmp/base")
    }
    #expect(error?.code == .corruptData)
  }

  /// A base too long to read back is refused before it is written, and one
  /// found too long (written by hand) is damaged, not a pack error.
  @Test func aBaseTooLongIsNeverWritten() async throws {
    try await withTemporaryDirectory { folder in
      try Repository.initialize(at: folder)
      let repository = try Repository(root: folder)
      let bases = FolderBases(repository)
      let artifact = try ArtifactName("ds")
      let long = (0..<2000).map { "folder\($0)/" + String(repeating: "x", count: 40) }
      let other = ObjectHasher.id(of: Array("w".utf8))
      let base = FolderBase(version: id, artifact: artifact).writing(other, patterns: long)
      let refused = #expect(throws: ArtError.self) { try bases.record(base) }
      #expect(refused?.code == .invalidArgument)
      #expect(try bases.base(of: artifact) == nil)

      let file = repository.layout.artifactBase("ds")
      try writeFile(base.encoded(), to: file)
      let damaged = #expect(throws: ArtError.self) { _ = try bases.base(of: artifact) }
      #expect(damaged?.code == .corruptData)
      #expect(damaged?.message.contains("base file") == true)
    }
  }

  /// A base recorded before a first checkout finished is speculative and
  /// keeps its marker however many partial versions follow; writing the
  /// version a (non-speculative) base already covers adds nothing.
  @Test func aSpeculativeBaseKeepsItsMarker() throws {
    let artifact = try ArtifactName("ds")
    let ids = (0..<12).map { ObjectHasher.id(of: Array("v\($0)".utf8)) }
    var base = FolderBase.speculative(
      version: id, artifact: artifact, folder: "/tmp/out", patterns: ["a"])
    #expect(base.isSpeculative)
    for version in ids { base = base.writing(version, patterns: []) }
    #expect(base.isSpeculative)
    #expect(base.partial.count == FolderBase.partialLimit)
    #expect(base.partial.last?.version == ids.last)

    let plain = FolderBase(version: id, artifact: artifact)
    #expect(plain.writing(id, patterns: ["a"]) == plain)
    #expect(plain.writing(id, patterns: []) == plain)
    #expect(!plain.writing(ids[0], patterns: []).isSpeculative)
  }
}
