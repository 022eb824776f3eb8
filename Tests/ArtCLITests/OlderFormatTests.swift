import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// A repository as the build before pack format 2 left it (repository
/// format 5; packs of format 1, with their footer, and index formats 1-3)
/// works with this build, through the real binary.
@Suite("Older repositories")
struct OlderFormatTests {
  /// Verify, fsck, checkout, commit (which raises it to format 6), push,
  /// clone, gc and repack (which rewrites every pack as format 2) keep
  /// every file of every version.
  @Test func aFormatFiveRepositoryKeepsWorking() async throws {
    try await withTemporaryDirectory { folder in
      let repo = folder.appending("repo")
      var versions: [[String: [UInt8]]] = []
      var files: [String: [UInt8]] = [:]
      // Annotation files (their pack gets a dictionary) and a chunked file.
      for index in 0..<1_200 { files["labels/\(index).json"] = .label(index: index, seed: 8) }
      files["big.bin"] = .random(count: 1_500_000, seed: 8)
      for (name, bytes) in files { try writeFile(bytes, to: repo.appending("data/" + name)) }
      #expect(try art("init", in: repo).status == 0)
      #expect(try art("commit", "ds", "data", in: repo).status == 0)
      versions.append(files)
      files["labels/7.json"] = Array("{\"changed\": true}\n".utf8)
      try writeFile(files["labels/7.json"] ?? [], to: repo.appending("data/labels/7.json"))
      #expect(try art("commit", "ds", in: repo).status == 0)
      versions.append(files)

      let packs = repo.appending(".art/objects/packs")
      try rewritePacksAsFormatOne(in: packs)
      let config = repo.appending(".art/config")
      func configText() throws -> String { String(decoding: try readFile(config), as: UTF8.self) }
      let raised = try configText().replacingOccurrences(of: "format = 6", with: "format = 5")
      try writeFile(Array(raised.utf8), to: config)
      let old = try ObjectStore(directory: packs)
      #expect(old.allPacks.allSatisfy { $0.index.version <= 3 })
      #expect(old.allPacks.contains { $0.index.version == 3 })

      func checkVersions(_ repository: FilePath, _ label: String) throws {
        let verify = try art("verify-pack", in: repository)
        #expect(verify.status == 0, "\(label): \(verify.standardOutput) \(verify.standardError)")
        let fsck = try art("fsck", "--full", in: repository)
        #expect(fsck.status == 0, "\(label): \(fsck.standardOutput) \(fsck.standardError)")
        for (number, expected) in versions.enumerated() {
          let out = folder.appending("out-\(label)-\(number)")
          let checkout = try art("checkout", "ds:v\(number)", "--to", out.string, in: repository)
          #expect(checkout.status == 0, "\(label): \(checkout.standardError)")
          for (name, bytes) in expected {
            #expect(try readFile(out.appending(name)) == bytes, "\(label) v\(number) \(name)")
          }
        }
      }
      try checkVersions(repo, "old")
      #expect(try configText().contains("format = 5"), "reading raises nothing")

      files["labels/8.json"] = Array("{\"changed\": 2}\n".utf8)
      try writeFile(files["labels/8.json"] ?? [], to: repo.appending("data/labels/8.json"))
      #expect(try art("commit", "ds", in: repo).status == 0)
      versions.append(files)
      #expect(try configText().contains("format = 6"))

      let remote = folder.appending("remote")
      #expect(try art("remote", "add", "origin", remote.string, in: repo).status == 0)
      let push = try art("push", "origin", in: repo)
      #expect(push.status == 0, "\(push.standardError)")
      let clone = try art("clone", remote.string, "../copy", in: repo)
      #expect(clone.status == 0, "\(clone.standardError)")
      try checkVersions(folder.appending("copy"), "clone")

      #expect(try art("gc", in: repo).status == 0)
      let repack = try art("repack", in: repo)
      #expect(repack.status == 0, "\(repack.standardError)")
      let rewritten = try ObjectStore(directory: packs)
      #expect(rewritten.allPacks.allSatisfy { $0.index.version == 4 })
      try checkVersions(repo, "repacked")
    }
  }
}
