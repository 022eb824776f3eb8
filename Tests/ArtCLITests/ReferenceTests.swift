import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// Reference entries (`commit --reference`, checkout, verify) through the
/// real binary, against real files and a real HTTP server on loopback.
@Suite("art binary, reference entries")
struct ReferenceTests {
  func leftovers(_ folder: FilePath) throws -> [String] {
    let all = try FileManager.default.subpathsOfDirectory(atPath: folder.string)
    return all.filter { $0.contains(".art-tmp-") }
  }

  @Test func fileReferencesRecordCheckOutAndDetectChanges() async throws {
    try await withTemporaryDirectory { folder in
      let repo = folder.appending("repo")
      let shared = folder.appending("shared")
      try writeFile(.random(count: 400_000, seed: 1), to: shared.appending("images/a.bin"))
      try writeFile(.random(count: 3_000, seed: 2), to: shared.appending("images/sub/b.bin"))
      try writeFile(Array("id,label\n1,cat\n".utf8), to: shared.appending("labels.csv"))
      try writeFile(Array("local\n".utf8), to: repo.appending("data/notes.txt"))
      _ = try art("init", in: repo)

      let commit = try art(
        "commit", "raw", "data", "--reference", shared.appending("images").string,
        "--reference", "file://" + shared.appending("labels.csv").string + "=meta/labels.csv",
        in: repo)
      #expect(commit.status == 0, "\(commit.standardError)")
      #expect(commit.standardOutput.contains("3 references"), "\(commit.standardOutput)")
      // The referenced bytes are not stored: the pack holds a few KB.
      let du = try art("du", "raw", "--json", in: repo)
      #expect(du.status == 0)
      let show = try art("show", "raw", in: repo)
      #expect(show.standardOutput.contains("references:  3 files"), "\(show.standardOutput)")
      #expect(show.standardOutput.contains("size:        1 file, 6 B"))
      let stored = try FileManager.default.contentsOfDirectory(
        atPath: repo.appending(".art/objects/packs").string
      ).reduce(0) { total, name in
        total
          + ((try? FileManager.default.attributesOfItem(
            atPath: repo.appending(".art/objects/packs/\(name)").string)[.size] as? Int) ?? 0)
      }
      #expect(stored < 20_000, "packs hold \(stored) bytes")
      let listing = try art("ls-manifest", "-r", "raw", in: repo)
      #expect(listing.status != 0 || listing.standardOutput.contains("reference"))

      // A copy holds every file, bit for bit.
      let copy = try art("checkout", "raw", "--to", "../copy", in: repo)
      #expect(copy.status == 0, "\(copy.standardError)")
      #expect(copy.standardOutput.contains("3 references fetched"), "\(copy.standardOutput)")
      #expect(
        try readFile(folder.appending("copy/images/a.bin"))
          == readFile(shared.appending("images/a.bin")))
      #expect(
        try readFile(folder.appending("copy/images/sub/b.bin"))
          == readFile(shared.appending("images/sub/b.bin")))
      #expect(
        try readFile(folder.appending("copy/meta/labels.csv"))
          == readFile(shared.appending("labels.csv")))

      // In place: status stays clean, a commit from the folder carries the
      // references forward without storing their bytes.
      #expect(try art("checkout", "raw", in: repo).status == 0)
      #expect(try art("status", in: repo).standardOutput.contains("clean"))
      try writeFile(Array("more\n".utf8), to: repo.appending("data/more.txt"))
      let second = try art("commit", "raw", "--json", in: repo)
      #expect(second.status == 0, "\(second.standardError)")
      let report =
        try JSONSerialization.jsonObject(with: Data(second.standardOutputBytes))
        as? [String: Any]
      #expect(report?["references"] as? Int == 3, "\(second.standardOutput)")
      #expect(report?["files"] as? Int == 2, "\(second.standardOutput)")
      let diff = try art("diff", "raw:v0", "raw:v1", in: repo)
      #expect(diff.standardOutput.contains("A  more.txt"))
      #expect(!diff.standardOutput.contains("images/a.bin"))

      #expect(try art("verify", "raw", in: repo).status == 0)
      // The shared file changes: verify and checkout name it, nothing is written.
      try writeFile(.random(count: 400_000, seed: 9), to: shared.appending("images/a.bin"))
      let verify = try art("verify", "raw", in: repo)
      #expect(verify.status == 3)
      #expect(verify.standardOutput.contains("changed  images/a.bin"), "\(verify.standardOutput)")
      #expect(verify.standardOutput.contains("sha256"))
      let failed = try art("checkout", "raw", "--to", "../copy2", in: repo)
      #expect(failed.status == 3)
      #expect(failed.standardError.contains("reference 'images/a.bin'"), "\(failed.standardError)")
      #expect(failed.standardError.contains("--allow-changed"))
      // The folder it made is gone: nothing half-written is left.
      #expect(!FileManager.default.fileExists(atPath: folder.appending("copy2").string))
      // In place, references are fetched first: the refusal changes nothing.
      try FileManager.default.removeItem(atPath: repo.appending("data/images/a.bin").string)
      let inPlace = try art("checkout", "raw:v0", in: repo)
      #expect(inPlace.status == 3, "\(inPlace.standardError)")
      #expect(FileManager.default.fileExists(atPath: repo.appending("data/more.txt").string))
      #expect(!FileManager.default.fileExists(atPath: repo.appending("data/images/a.bin").string))
      #expect(try leftovers(repo.appending("data")).isEmpty)
      let taken = try art("checkout", "raw", "--to", "../copy3", "--allow-changed", in: repo)
      #expect(taken.status == 0, "\(taken.standardError)")
      #expect(
        try readFile(folder.appending("copy3/images/a.bin"))
          == readFile(shared.appending("images/a.bin")))
      let skipped = try art("checkout", "raw", "--to", "../copy4", "--skip-references", in: repo)
      #expect(skipped.status == 0)
      #expect(skipped.standardOutput.contains("3 references skipped"))
      #expect(
        !FileManager.default.fileExists(atPath: folder.appending("copy4/images/a.bin").string))
      #expect(FileManager.default.fileExists(atPath: folder.appending("copy4/notes.txt").string))

      // Recording it again makes a new version whose diff shows the reference.
      let again = try art(
        "commit", "raw", "--reference", shared.appending("images").string, in: repo)
      #expect(again.status == 0, "\(again.standardError)")
      let changed = try art("diff", "raw:v1", "raw:v2", in: repo)
      #expect(
        changed.standardOutput.contains("M  images/a.bin  (390.6 KiB)  [reference]"),
        "\(changed.standardOutput)")
      #expect(try art("verify", "raw", in: repo).status == 0)

      // gc and fsck treat reference objects as part of the versions.
      #expect(try art("gc", "--grace", "0s", in: repo).status == 0)
      let fsck = try art("fsck", "--full", in: repo)
      #expect(fsck.status == 0, "\(fsck.standardOutput)\(fsck.standardError)")

      // A missing file is an error at commit; nothing is made.
      let missing = try art("commit", "raw", "--reference", "/nonexistent/x.bin", in: repo)
      #expect(missing.status == 1)
      #expect(missing.standardError.contains("'/nonexistent/x.bin' does not exist"))
      for bad in ["ftp://host/x", "/tmp/x=../escape", "https://"] {
        let result = try art("commit", "raw", "--reference", bad, in: repo)
        #expect(result.status == 64, "\(bad): \(result.standardError)")
      }
      #expect(try art("log", "raw", in: repo).lines.count == 3)
    }
  }

  @Test func httpReferencesAreCheckedAgainstTheServer() async throws {
    try await withTemporaryDirectory { folder in
      let repo = folder.appending("repo")
      let served = folder.appending("served")
      try writeFile(.random(count: 700_000, seed: 5), to: served.appending("weights.bin"))
      try writeFile(Array("a,b\n1,2\n".utf8), to: served.appending("table.csv"))
      _ = try art("init", "repo", in: folder)
      let server = try HTTPTestServer(serving: served)
      defer { server.stop() }

      let commit = try art(
        "commit", "model", "--reference", "\(server.base)/weights.bin=weights/w.bin",
        "--reference", "\(server.base)/table.csv", "--checksum", in: repo)
      #expect(commit.status == 0, "\(commit.standardError)")
      #expect(try art("verify", "model", in: repo).status == 0)
      let copy = try art("checkout", "model", "--to", "../copy", in: repo)
      #expect(copy.status == 0, "\(copy.standardError)")
      #expect(
        try readFile(folder.appending("copy/weights/w.bin"))
          == readFile(served.appending("weights.bin")))
      #expect(
        try readFile(folder.appending("copy/table.csv")) == readFile(served.appending("table.csv")))

      // Same size, new content and time: the server's Last-Modified moves.
      try writeFile(.random(count: 700_000, seed: 6), to: served.appending("weights.bin"))
      try FileManager.default.setAttributes(
        [.modificationDate: Date().addingTimeInterval(3600)],
        ofItemAtPath: served.appending("weights.bin").string)
      let verify = try art("verify", "model", in: repo)
      #expect(verify.status == 3)
      #expect(verify.standardOutput.contains("Last-Modified"), "\(verify.standardOutput)")
      let failed = try art("checkout", "model", "--to", "../copy2", in: repo)
      #expect(failed.status == 3, "\(failed.standardError)")
      #expect(failed.standardError.contains("reference 'weights/w.bin'"))
      #expect(!FileManager.default.fileExists(atPath: folder.appending("copy2").string))

      // A server that goes away mid-download: a clear error, nothing left.
      let dying = try art("commit", "big", "--reference", "\(server.base)/dying/big.bin", in: repo)
      #expect(dying.status == 0, "\(dying.standardError)")  // HEAD answers
      let broken = try art("checkout", "big", "--to", "../copy3", in: repo)
      #expect(broken.status == 1)
      #expect(broken.standardError.contains("broke off after"), "\(broken.standardError)")
      #expect(!FileManager.default.fileExists(atPath: folder.appending("copy3").string))

      // The server is gone now: verify and commit say so.
      let down = try art("verify", "model", in: repo)
      #expect(down.status == 1)
      #expect(down.standardOutput.contains("unavailable"), "\(down.standardOutput)")
      let unreachable = try art("commit", "other", "--reference", "\(server.base)/x.bin", in: repo)
      #expect(unreachable.status == 1)
      #expect(unreachable.standardError.contains("cannot reach"), "\(unreachable.standardError)")
    }
  }

  @Test func missingURLIsAnErrorAtCommit() async throws {
    try await withTemporaryDirectory { folder in
      let served = folder.appending("served")
      try writeFile(Array("x".utf8), to: served.appending("x.txt"))
      _ = try art("init", "repo", in: folder)
      let server = try HTTPTestServer(serving: served)
      defer { server.stop() }
      let result = try art(
        "commit", "ds", "--reference", "\(server.base)/nope.bin", in: folder.appending("repo"))
      #expect(result.status == 1)
      #expect(
        result.standardError.contains("not on the server (HTTP 404)"), "\(result.standardError)")
      #expect(try art("log", in: folder.appending("repo")).standardOutput.contains("no artifacts"))
    }
  }
}
