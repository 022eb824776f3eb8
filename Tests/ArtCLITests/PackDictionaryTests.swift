import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// Many small similar files (a detection dataset's annotation files) get a
/// zstd dictionary in their pack, through the real binary.
@Suite("Pack dictionaries")
struct PackDictionaryTests {
  /// Commit, fsck, push, clone, checkout and a subset read by byte range
  /// keep every file, and a remote dictionary with one byte changed is
  /// damage that checkout refuses.
  @Test func annotationFilesShareTheirPacksDictionaryAcrossARemote() async throws {
    try await withTemporaryDirectory { folder in
      let repo = folder.appending("repo")
      var files: [String: [UInt8]] = [:]
      for index in 0..<1_500 {
        let name = "d\(index % 10)/\(index).json"
        files[name] = [UInt8].label(index: index, seed: 5)
        try writeFile(files[name] ?? [], to: repo.appending("labels/" + name))
      }
      #expect(try art("init", in: repo).status == 0)
      let commit = try art("commit", "boxes", "labels", in: repo)
      #expect(commit.status == 0, "\(commit.standardError)")
      let config = String(decoding: try readFile(repo.appending(".art/config")), as: UTF8.self)
      #expect(config.contains("format = 6"), "\(config)")
      let store = try ObjectStore(directory: repo.appending(".art/objects/packs"))
      #expect(store.allPacks.map(\.index.version) == [4])
      #expect(store.allPacks.allSatisfy { $0.index.dictionaryPosition != nil })
      let fsck = try art("fsck", "--full", in: repo)
      #expect(
        fsck.status == 0 && !fsck.standardOutput.contains("dangling"), "\(fsck.standardOutput)")
      let verify = try art("verify-pack", in: repo)
      #expect(verify.status == 0 && verify.standardOutput.contains("1 dictionary"))

      let remote = folder.appending("remote")
      #expect(try art("remote", "add", "origin", remote.string, in: repo).status == 0)
      let push = try art("push", "origin", in: repo)
      #expect(push.status == 0, "\(push.standardError)")
      #expect(try art("clone", remote.string, "../copy", in: repo).status == 0)
      let copy = folder.appending("copy")
      #expect(try art("checkout", "boxes", "--to", "../out", in: copy).status == 0)
      for (name, bytes) in files {
        #expect(try readFile(folder.appending("out/" + name)) == bytes, "\(name)")
      }

      // A subset read by byte range brings the pack's dictionary along.
      let sub = folder.appending("sub")
      try Syscalls.makeDirectories(sub)
      #expect(try art("init", in: sub).status == 0)
      #expect(try art("remote", "add", "origin", remote.string, in: sub).status == 0)
      let subset = try art("checkout", "origin/boxes", "--path", "d3/*", "--to", "../part", in: sub)
      #expect(subset.status == 0, "\(subset.standardError)")
      for (name, bytes) in files where name.hasPrefix("d3/") {
        #expect(try readFile(folder.appending("part/" + name)) == bytes, "\(name)")
      }
      #expect(try readFileIfPresent(folder.appending("part/d4/4.json")) == nil)

      // One byte of the remote pack's dictionary changed.
      let remotePacks = try ObjectStore(directory: remote.appending("packs"))
      let pack = try #require(remotePacks.allPacks.first)
      let position = try #require(pack.index.dictionaryPosition)
      let entry = try pack.index.entry(at: position)
      var bytes = try readFile(pack.path)
      bytes[Int(entry.offset) + PackFormat.recordHeaderSize + 100] ^= 0x20
      try writeFile(bytes, to: pack.path)
      // Clone checks every object of a whole pack before it keeps one (the
      // dictionary's record fails its CRC-32); a read by range checks the
      // dictionary against its id, so checkout refuses.
      let clone = try art("clone", remote.string, "../bad", in: repo)
      #expect(
        clone.status == 2 && clone.standardError.contains(pack.id.hex),
        "\(clone.standardError)")
      #expect(!FileManager.default.fileExists(atPath: folder.appending("bad").string))
      let other = folder.appending("other")
      try Syscalls.makeDirectories(other)
      #expect(try art("init", in: other).status == 0)
      #expect(try art("remote", "add", "origin", remote.string, in: other).status == 0)
      let refused = try art("checkout", "origin/boxes", "--to", "../bad-out", in: other)
      #expect(
        refused.status == 2 && refused.standardError.contains("dictionary"),
        "\(refused.standardError)")
      for (name, bytes) in files {
        if let written = try readFileIfPresent(folder.appending("bad-out/" + name)) {
          #expect(written == bytes, "\(name)")
        }
      }
    }
  }
}

/// The bytes at `path`, or nil when there is no such file.
private func readFileIfPresent(_ path: FilePath) throws -> [UInt8]? {
  (try? Syscalls.linkStatus(path)) == nil ? nil : try readFile(path)
}
