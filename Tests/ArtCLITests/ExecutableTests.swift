import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// Runs the real `art` binary in a temporary folder, as a user would.
@Suite("art binary")
struct ExecutableTests {
  @Test func initOutsideAndInside() async throws {
    try await withTemporaryDirectory { folder in
      let outside = try ArtProcess.run(["count-objects"], in: folder)
      #expect(outside.status == 1)
      #expect(
        outside.standardError.contains("art: error: not inside an art repository (run 'art init')"))

      let missing = try ArtProcess.run(
        ["-C", folder.appending("nope").string, "count-objects"], in: folder)
      #expect(missing.status == 1)
      #expect(missing.standardError.contains("no folder '"), "\(missing.standardError)")

      let first = try ArtProcess.run(["init"], in: folder)
      #expect(first.status == 0)
      #expect(first.standardOutput.contains("Initialized empty art repository"))
      let again = try ArtProcess.run(["init"], in: folder)
      #expect(again.status == 0)
      #expect(again.standardOutput.contains("already exists"))

      try writeFile([1], to: folder.appending("sub/deeper/x"))
      let found = try ArtProcess.run(["count-objects"], in: folder.appending("sub/deeper"))
      #expect(found.status == 0)
      #expect(found.standardOutput.contains("packs: 0"))
    }
  }

  /// Runs the real binary in `directory`, expecting exit 0.
  @discardableResult
  func art(_ arguments: String..., in directory: FilePath) throws -> ProcessResult {
    let result = try ArtProcess.run(arguments, in: directory)
    #expect(result.status == 0, "\(arguments): \(result.standardError)")
    return result
  }

  /// Edits the config of a repository just made to the chunk sizes
  /// repositories had before 2026-12-01 (16 / 64 / 256 KiB).
  static func giveOriginalChunkSizes(_ repository: FilePath) throws {
    let config = repository.appending(".art/config")
    let text = String(decoding: try readFile(config), as: UTF8.self)
    let new = "min = 65536\n\tavg = 262144\n\tmax = 1048576"
    #expect(text.contains(new))
    try writeFile(
      Array(
        text.replacingOccurrences(of: new, with: "min = 16384\n\tavg = 65536\n\tmax = 262144")
          .utf8), to: config)
  }

  /// An alias another clone moved and pushed is taken by the next pull,
  /// and never pushed back, whether this clone pushed, or only fetched, in
  /// between; a version deleted there is deleted here by pull, which says
  /// so.
  @Test func anAliasMovedElsewhereIsTakenNotUndone() async throws {
    try await withTemporaryDirectory { folder in
      let a = folder.appending("a")
      let remote = folder.appending("remote")
      func commit(_ text: String, in repository: FilePath) throws {
        try writeFile(Array(text.utf8), to: repository.appending("d/f"))
        #expect(try art("commit", "x", "d", in: repository).status == 0)
      }
      func id(_ spec: String, in repository: FilePath) throws -> String? {
        let shown = try art("show", spec, "--json", in: repository).standardOutputBytes
        return (try JSONSerialization.jsonObject(with: Data(shown)) as? [String: Any])?["id"]
          as? String
      }
      func best(_ repository: FilePath) throws -> String? { try id("x:best", in: repository) }
      for path in [a, remote] {
        try FileManager.default.createDirectory(
          atPath: path.string, withIntermediateDirectories: true)
      }
      _ = try art("init", in: a)
      try commit("0", in: a)
      try commit("1", in: a)
      _ = try art("alias", "set", "x:v0", "best", in: a)
      _ = try art("remote", "add", "origin", remote.string, in: a)
      #expect(try art("push", "origin", in: a).status == 0)
      #expect(try art("clone", remote.string, "b", in: folder).status == 0)
      let b = folder.appending("b")
      let atV1 = try id("x:v1", in: b)
      _ = try art("alias", "set", "x:v1", "best", in: b)
      #expect(try art("push", "origin", in: b).status == 0)

      // a pushes a version of its own, then pulls: best is taken.
      try commit("2", in: a)
      let pushed = try art("push", "origin", in: a)
      #expect(pushed.status == 0 && !pushed.standardOutput.contains("aliases"))
      let pulled = try art("pull", "origin", in: a)
      #expect(pulled.standardOutput.contains("  aliases: x:best"), "\(pulled.standardOutput)")
      #expect(!pulled.standardOutput.contains("kept here"), "\(pulled.standardOutput)")
      #expect(try best(a) == atV1)
      _ = try art("push", "origin", in: a)
      #expect(try art("clone", remote.string, "c", in: folder).status == 0)
      #expect(try best(folder.appending("c")) == atV1)

      // b moves it back; a only fetches, then pushes: nothing undone.
      _ = try art("alias", "set", "x:v0", "best", in: b)
      #expect(try art("push", "origin", in: b).status == 0)
      let atV0 = try id("x:v0", in: b)
      #expect(try art("fetch", "origin", in: a).status == 0)
      let quiet = try art("push", "origin", in: a)
      #expect(quiet.status == 0 && !quiet.standardOutput.contains("aliases"))
      let taken = try art("pull", "origin", in: a)
      #expect(taken.standardOutput.contains("  aliases: x:best"), "\(taken.standardOutput)")
      #expect(try best(a) == atV0)

      // b removes v1 and pushes: a's pull deletes it and says so.
      _ = try art("alias", "rm", "x:best", in: b)
      #expect(try art("rm", "x:v1", in: b).status == 0)
      #expect(try art("push", "origin", in: b).status == 0)
      let deleted = try art("pull", "origin", in: a)
      #expect(
        deleted.standardOutput.contains("  deleted (removed there): x:v1"),
        "\(deleted.standardOutput)")
      #expect(try ArtProcess.run(["show", "x:v1"], in: a).status == 1)
      #expect(deleted.standardOutput.contains("x:best (removed)"), "\(deleted.standardOutput)")
      #expect(try ArtProcess.run(["show", "x:best"], in: a).status == 1)
      _ = try art("push", "origin", in: a)
      #expect(try ArtProcess.run(["show", "origin/x:best"], in: a).status == 1)
      // Without the base file (a repository from before it), the refs last
      // fetched stand in, and push and pull still work.
      try FileManager.default.removeItem(atPath: a.appending(".art/remotes/origin/base").string)
      _ = try art("pull", "origin", in: b)
      try commit("3", in: b)
      _ = try art("push", "origin", in: b)
      let json = try art("pull", "origin", "--json", in: a)
      let report = try #require(
        try JSONSerialization.jsonObject(with: Data(json.standardOutputBytes)) as? [String: Any])
      #expect(report["deleted"] as? [String] == [], "\(report)")
      #expect(report["added"] as? [String] == ["x:v3"], "\(report)")
      #expect(
        FileManager.default.fileExists(atPath: a.appending(".art/remotes/origin/base").string))
      #expect(try art("push", "origin", in: a).status == 0)
    }
  }

  /// Three clones that each made their own v1 all land, renumbered by
  /// pull (two lines born as v1 are no damage), and one that made and
  /// removed its v1 unpushed takes another clone's v1 instead of deleting
  /// it on the remote.
  @Test func clonesThatEachMadeTheSameNumberAllLand() async throws {
    try await withTemporaryDirectory { folder in
      let remote = folder.appending("remote")
      let a = folder.appending("a")
      for path in [remote, a.appending("d")] {
        try FileManager.default.createDirectory(
          atPath: path.string, withIntermediateDirectories: true)
      }
      func commit(_ text: String, in repository: FilePath) throws {
        try writeFile(Array(text.utf8), to: repository.appending("d/f"))
        #expect(try art("commit", "x", "d", in: repository).status == 0)
      }
      _ = try art("init", in: a)
      try commit("0", in: a)
      _ = try art("remote", "add", "origin", remote.string, in: a)
      _ = try art("push", "origin", in: a)
      let clones = ["b", "c", "e"].map { folder.appending($0) }
      for clone in clones {
        _ = try art("clone", remote.string, clone.lastComponent!.string, in: folder)
      }
      for (index, repository) in ([a] + clones.prefix(2)).enumerated() {
        try commit("made by \(index)", in: repository)
      }
      _ = try art("push", "origin", in: a)
      for repository in clones.prefix(2) {
        _ = try art("pull", "origin", in: repository)
        _ = try art("push", "origin", in: repository)
      }
      // e made v1 and removed it, never pushed: it takes a's v1.
      try commit("e's", in: clones[2])
      _ = try art("rm", "x:v1", in: clones[2])
      _ = try art("pull", "origin", in: clones[2])
      _ = try art("push", "origin", in: clones[2])
      _ = try art("clone", remote.string, "fresh", in: folder)
      let log = try art("log", "x", in: folder.appending("fresh")).lines
      #expect(log.count == 4 && log.first?.hasPrefix("v3") == true, "\(log)")
    }
  }

  /// What a killed push left in a folder remote (`packs/KEY.tmp-PID`, never
  /// listed, never resumed) goes with remote gc once older than the grace
  /// period, counted as an unfinished upload; a younger one stays.
  @Test func remoteGCDropsAKilledUploadsTemporaryFile() async throws {
    try await withTemporaryDirectory { folder in
      let remote = folder.appending("remote")
      for path in [folder.appending("data"), remote] {
        try FileManager.default.createDirectory(
          atPath: path.string, withIntermediateDirectories: true)
      }
      try writeFile(.text(count: 2_000, seed: 4), to: folder.appending("data/a.txt"))
      _ = try art("init", in: folder)
      _ = try art("commit", "ds", "data", in: folder)
      _ = try art("remote", "add", "origin", remote.string, in: folder)
      _ = try art("push", "origin", in: folder)
      let old = remote.appending("packs/pack-\(String(repeating: "ab", count: 32)).pack.tmp-4242")
      let young = remote.appending("packs/pack-\(String(repeating: "cd", count: 32)).pack.tmp-77")
      for path in [old, young] { try writeFile(.random(count: 10_000, seed: 1), to: path) }
      try FileManager.default.setAttributes(
        [.modificationDate: Date(timeIntervalSinceNow: -7_200)], ofItemAtPath: old.string)
      func dropped(_ arguments: String...) throws -> Int? {
        let gc = try ArtProcess.run(["gc", "--remote", "origin", "--json"] + arguments, in: folder)
        #expect(gc.status == 0, "\(gc.standardError)")
        let report = try JSONSerialization.jsonObject(with: Data(gc.standardOutputBytes))
        return (report as? [String: Any])?["unfinishedUploadsDropped"] as? Int
      }
      #expect(try dropped("--dry-run") == 1)
      #expect(FileManager.default.fileExists(atPath: old.string))
      #expect(try dropped() == 1)
      #expect(!FileManager.default.fileExists(atPath: old.string))
      #expect(FileManager.default.fileExists(atPath: young.string))
      #expect(try dropped("--grace", "0s") == 1)
      #expect(!FileManager.default.fileExists(atPath: young.string))
      #expect(try art("clone", remote.string, "copy", in: folder).status == 0)
    }
  }

  /// New repositories cut files over 1 MiB into 256 KiB chunks; one whose
  /// config has the sizes of before (16/64/256 KiB) keeps cutting files
  /// over 256 KiB, so its new chunks still match its old ones.
  @Test func chunkSizesComeFromTheRepositorysConfig() async throws {
    try await withTemporaryDirectory { folder in
      let file = [UInt8].text(count: 700_000, seed: 8)
      let big = [UInt8].text(count: 3_000_000, seed: 9)
      for name in ["new", "old"] {
        let repository = folder.appending(name)
        try writeFile(file, to: repository.appending("data/table.csv"))
        try writeFile(big, to: repository.appending("data/big.csv"))
        #expect(try ArtProcess.run(["init"], in: repository).status == 0)
      }
      // What init wrote, made the sizes of before.
      try Self.giveOriginalChunkSizes(folder.appending("old"))
      var chunkCounts: [Int] = []
      for name in ["new", "old"] {
        let repository = folder.appending(name)
        #expect(try ArtProcess.run(["commit", "ds", "data"], in: repository).status == 0)
        let type = try ArtProcess.run(
          ["cat-object", "-t", ObjectHasher.id(of: file).hex], in: repository)
        #expect(type.lines == [name == "new" ? "blob" : "chunklist"], "\(name)")
        let verified = try ArtProcess.run(["verify-pack", "--json"], in: repository)
        let packs =
          try JSONSerialization.jsonObject(with: Data(verified.standardOutputBytes))
          as? [String: Any]
        let blobs = (packs?["packs"] as? [[String: Any]])?.compactMap { $0["blobs"] as? Int }
        chunkCounts.append(blobs?.reduce(0, +) ?? 0)
      }
      // The blobs: 3.7 MB in chunks of about 256 KiB (and table.csv
      // whole), against about 64 KiB.
      #expect(chunkCounts[0] >= 6 && chunkCounts[0] <= 20, "\(chunkCounts)")
      #expect(chunkCounts[1] >= 40, "\(chunkCounts)")
    }
  }

  /// A 600 KB file is stored whole or in chunks, as each side's sizes say.
  ///
  /// It is one blob in a repository with the new chunk sizes and a chunk
  /// list in one with the old. Versions that travel between
  /// the two name it either way, and every command takes both: fsck, diff
  /// (of versions, and of a version against the folder), checkout, cat, gc.
  @Test func aFileStoredWholeHereAndInChunksThereIsOneFile() async throws {
    try await withTemporaryDirectory { folder in
      let file = [UInt8].text(count: 600_000, seed: 21)
      let old = folder.appending("old")
      let new = folder.appending("new")
      let remote = folder.appending("remote")
      try FileManager.default.createDirectory(
        atPath: remote.string, withIntermediateDirectories: true)
      for repository in [old, new] {
        try writeFile(file, to: repository.appending("data/t.csv"))
        _ = try art("init", in: repository)
        _ = try art("remote", "add", "origin", remote.string, in: repository)
      }
      try Self.giveOriginalChunkSizes(old)
      let id = ObjectHasher.id(of: file).hex
      _ = try art("commit", "ds", "data", in: old)
      _ = try art("commit", "mine", "data", in: new)
      #expect(try art("cat-object", "-t", id, in: old).lines == ["chunklist"])
      #expect(try art("cat-object", "-t", id, in: new).lines == ["blob"])
      _ = try art("push", "origin", in: old)
      _ = try art("pull", "origin", in: new)
      _ = try art("push", "origin", in: new)
      _ = try art("pull", "origin", in: old)
      // A repository with the new sizes that gets the file only from the
      // old one stores it as it came (a chunk list); committed unchanged
      // after checkout, nothing changed.
      let third = folder.appending("third")
      try FileManager.default.createDirectory(
        atPath: third.string, withIntermediateDirectories: true)
      _ = try art("init", in: third)
      _ = try art("remote", "add", "origin", remote.string, in: third)
      _ = try art("pull", "origin", in: third)
      _ = try art("checkout", "ds:v0", in: third)
      // Written again with the same bytes, so the commit reads it.
      try writeFile(file, to: third.appending("data/t.csv"))
      let same = try art("commit", "ds", "data", in: third)
      #expect(same.standardOutput.contains("nothing changed"), "\(same.standardOutput)")
      // A version pulled into a repository that holds its file in the other
      // form is checked out and committed unchanged: a new version names
      // the file as it is stored here, with no change of content.
      _ = try art("checkout", "ds:v0", in: new)
      _ = try art("commit", "ds", "data", in: new)
      _ = try art("diff", "ds:v0", "ds:v1", "--exit-code", in: new)
      for repository in [old, new] {
        // Each names the file both ways now, and stores it one way.
        _ = try art("fsck", "--full", in: repository)
        _ = try art("diff", "ds:v0", "mine:v0", "--exit-code", in: repository)
        _ = try art("diff", "ds:v0", "data/", "--exit-code", in: repository)
        _ = try art("diff", "mine:v0", "data/", "--exit-code", in: repository)
        _ = try art("gc", "--grace", "0s", in: repository)
        _ = try art("fsck", "--full", in: repository)
        for spec in ["ds:v0", "mine:v0"] {
          #expect(try art("cat", "\(spec):t.csv", in: repository).standardOutputBytes == file)
          let out = "out-\(spec.prefix(2))"
          _ = try art("checkout", spec, "--to", out, in: repository)
          #expect(try readFile(repository.appending("\(out)/t.csv")) == file)
        }
      }
    }
  }

  /// A clone takes the chunk sizes of what was pushed.
  ///
  /// The first push records them in the remote's `chunking`; a clone
  /// takes them, so an edit made in the clone deduplicates against
  /// what was pushed. A remote without the file (first pushed by an older
  /// art) gives the original sizes; a damaged one, the defaults and a
  /// warning.
  @Test func aCloneTakesTheChunkSizesOfWhatWasPushed() async throws {
    try await withTemporaryDirectory { folder in
      func sizes(_ repository: FilePath) throws -> String {
        let text = String(
          decoding: try readFile(repository.appending(".art/config")), as: UTF8.self)
        return text.split(separator: "\n").filter {
          $0.contains("min = ") || $0.contains("avg = ") || $0.contains("max = ")
        }.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
      }
      let old = folder.appending("old")
      let remote = folder.appending("remote")
      try FileManager.default.createDirectory(
        atPath: remote.string, withIntermediateDirectories: true)
      var table = [UInt8].text(count: 3_000_000, seed: 31)
      try writeFile(table, to: old.appending("data/t.csv"))
      _ = try art("init", in: old)
      try Self.giveOriginalChunkSizes(old)
      _ = try art("remote", "add", "origin", remote.string, in: old)
      _ = try art("commit", "ds", "data", in: old)
      _ = try art("push", "origin", in: old)
      #expect(
        try readFile(remote.appending("chunking"))
          == Array("min 16384\navg 65536\nmax 262144\n".utf8))
      _ = try art("clone", remote.string, "copy", in: folder)
      let copy = folder.appending("copy")
      #expect(try sizes(copy) == "min = 16384 avg = 65536 max = 262144")
      // A row changed in the middle stores a chunk or two, not the file.
      _ = try art("checkout", "ds", in: copy)
      table.replaceSubrange(1_500_000..<1_500_010, with: Array("0123456789".utf8))
      try writeFile(table, to: copy.appending("data/t.csv"))
      let commit = try art("commit", "ds", "--json", in: copy)
      let report =
        try JSONSerialization.jsonObject(with: Data(commit.standardOutputBytes))
        as? [String: Any]
      let stored = report?["bytesStored"] as? Int ?? -1
      #expect(stored >= 0 && stored < 400_000, "\(commit.standardOutput)")

      // A remote first pushed by art before 2026-12-01 has no file.
      try FileManager.default.removeItem(atPath: remote.appending("chunking").string)
      _ = try art("clone", remote.string, "older", in: folder)
      #expect(try sizes(folder.appending("older")) == "min = 16384 avg = 65536 max = 262144")
      // A damaged one, or sizes a repository should not take from elsewhere.
      for (index, text) in ["min 1\navg 2\nmax 3\n", "min 65536\navg 262144\nmax 67108864\n"]
        .enumerated()
      {
        try writeFile(Array(text.utf8), to: remote.appending("chunking"))
        let clone = try art("clone", remote.string, "damaged\(index)", in: folder)
        #expect(clone.standardError.contains("warning:"), "\(clone.standardError)")
        #expect(
          try sizes(folder.appending("damaged\(index)")) == "min = 65536 avg = 262144 max = 1048576"
        )
      }
      // Not a file at all: the same.
      try FileManager.default.removeItem(atPath: remote.appending("chunking").string)
      try FileManager.default.createDirectory(
        atPath: remote.appending("chunking").string, withIntermediateDirectories: true)
      let folderClone = try art("clone", remote.string, "folder-chunking", "--json", in: folder)
      #expect(folderClone.standardError.contains("warning:"), "\(folderClone.standardError)")
      let warned =
        try JSONSerialization.jsonObject(with: Data(folderClone.standardOutputBytes))
        as? [String: Any]
      #expect((warned?["chunkingWarning"] as? String)?.contains("chunking") == true)
      #expect(
        warned?["chunkSizes"] as? [String: Int] == ["min": 65536, "avg": 262_144, "max": 1_048_576])
      #expect(
        try sizes(folder.appending("folder-chunking")) == "min = 65536 avg = 262144 max = 1048576")
      // A repository with the new sizes, first to push to a new remote.
      let fresh = folder.appending("fresh")
      try writeFile(Array("a\n".utf8), to: fresh.appending("data/a.txt"))
      _ = try art("init", in: fresh)
      _ = try art("remote", "add", "origin", folder.appending("remote2").string, in: fresh)
      try FileManager.default.createDirectory(
        atPath: folder.appending("remote2").string, withIntermediateDirectories: true)
      _ = try art("commit", "ds", "data", in: fresh)
      _ = try art("push", "origin", in: fresh)
      let fresh2 = try art(
        "clone", folder.appending("remote2").string, "copy2", "--json", in: folder)
      #expect(try sizes(folder.appending("copy2")) == "min = 65536 avg = 262144 max = 1048576")
      let freshReport =
        try JSONSerialization.jsonObject(with: Data(fresh2.standardOutputBytes))
        as? [String: Any]
      #expect(freshReport?["chunkingWarning"] == nil)
      #expect(
        freshReport?["chunkSizes"] as? [String: Int]
          == ["min": 65536, "avg": 262_144, "max": 1_048_576])
    }
  }

  /// The first push writes the remote's `chunking` inside the remote only:
  /// a link there to a file elsewhere is left as it is (the first writer
  /// stays) and the file untouched, and a link to a path that does not
  /// exist is replaced, never followed.
  @Test func aFirstPushWritesItsChunkingFileOnlyInsideTheRemote() async throws {
    try await withTemporaryDirectory { folder in
      let outside = folder.appending("outside")
      let sentinel = Array("not art's\n".utf8)
      try writeFile(sentinel, to: outside.appending("kept"))
      for (name, target) in [("linked", "kept"), ("dangling", "planted")] {
        let remote = folder.appending("remote-\(name)")
        try FileManager.default.createDirectory(
          atPath: remote.string, withIntermediateDirectories: true)
        try Syscalls.symlink(
          target: Array(outside.appending(target).string.utf8), at: remote.appending("chunking"))
        let repository = folder.appending("repo-\(name)")
        try writeFile(Array("a\n".utf8), to: repository.appending("data/a.txt"))
        _ = try art("init", in: repository)
        _ = try art("remote", "add", "origin", remote.string, in: repository)
        _ = try art("commit", "ds", "data", in: repository)
        _ = try art("push", "origin", in: repository)
      }
      #expect(try readFile(outside.appending("kept")) == sentinel)
      #expect(try Syscalls.linkStatus(outside.appending("planted")) == nil)
      #expect(
        try readFile(folder.appending("remote-dangling/chunking"))
          == Array("min 65536\navg 262144\nmax 1048576\n".utf8))
      let linked = try Syscalls.linkStatus(folder.appending("remote-linked/chunking"))
      #expect(linked?.kind == .symlink)
    }
  }

  /// Runs the real binary in `folder` under `umask`.
  func art(umask: String, _ arguments: String..., in folder: FilePath) throws -> ProcessResult {
    try art(umask: umask, arguments, in: folder)
  }

  func art(umask: String, _ arguments: [String], in folder: FilePath) throws -> ProcessResult {
    try ArtProcess.runTool(
      "/bin/sh", ["-c", "umask \(umask) && exec \"$0\" \"$@\"", ArtProcess.binary] + arguments,
      in: folder)
  }

  /// Writes each of `files` with its bytes and gives it `mode`.
  func write(_ files: [(FilePath, [UInt8])], mode: UInt32) throws {
    for (file, bytes) in files {
      try writeFile(bytes, to: file)
      try Syscalls.setMode(file, mode)
    }
  }

  /// A checkout under a stricter umask than the committer's leaves files
  /// and folders with fewer bits than recorded: status calls the folder
  /// clean and a commit makes no version, while a mode changed by hand
  /// beyond what the umask explains is still a change.
  @Test func aCheckoutUnderAStricterUmaskIsNoChange() async throws {
    try await withTemporaryDirectory { folder in
      try art("init", in: folder)
      try writeFile(Array("a\n".utf8), to: folder.appending("data/a.csv"))
      try writeFile(Array("b\n".utf8), to: folder.appending("data/sub/run.sh"))
      try writeFile(Array("c\n".utf8), to: folder.appending("data/sub/c.csv"))
      try Syscalls.makeDirectories(folder.appending("data/empty"))
      for (path, mode) in [
        ("data/a.csv", 0o664), ("data/sub", 0o775), ("data/sub/run.sh", 0o775),
        ("data/sub/c.csv", 0o644), ("data/empty", 0o755),
      ] {
        try Syscalls.setMode(folder.appending(path), UInt32(mode))
      }
      try art("commit", "ds", "data", in: folder)
      try FileManager.default.removeItem(atPath: folder.appending("data").string)
      #expect(try art(umask: "077", "checkout", "ds:v0", in: folder).status == 0)
      for (path, mode) in [
        ("data/a.csv", 0o600), ("data/sub", 0o700), ("data/sub/run.sh", 0o700),
        ("data/empty", 0o700),
      ] {
        #expect(try Syscalls.linkStatus(folder.appending(path))?.permissions == UInt32(mode))
      }
      let status = try art(umask: "077", "status", "ds", in: folder)
      #expect(
        status.status == 0 && status.standardOutput.contains("clean"), "\(status.standardOutput)")
      let commit = try art(umask: "077", "commit", "ds", "data", in: folder)
      #expect(commit.status == 0 && commit.standardOutput.contains("nothing changed"))
      // Under the committer's umask the same files are a change: less
      // than its checkout would leave.
      let loose = try art(umask: "022", "status", "ds", in: folder)
      #expect(loose.standardOutput.contains("M  a.csv  (2 B)  mode 664 -> 600"))

      // A bit the umask does not explain is a change, and is recorded;
      // the files the umask explains keep their recorded modes.
      try Syscalls.setMode(folder.appending("data/sub/c.csv"), 0o400)
      let changed = try art(umask: "077", "status", "ds", in: folder)
      #expect(changed.standardOutput.contains("M  sub/c.csv  (2 B)  mode 644 -> 400"))
      #expect(!changed.standardOutput.contains("a.csv"), "\(changed.standardOutput)")
      #expect(try art(umask: "077", "commit", "ds", "data", in: folder).status == 0)
      let diff = try art("diff", "ds:v0", "ds:v1", in: folder)
      #expect(diff.lines == ["M  sub/c.csv  (2 B)  mode 644 -> 400"], "\(diff.standardOutput)")
      let files = try art("ls-files", "ds:v1", "--json", in: folder)
      #expect(files.standardOutput.contains("\"664\""), "\(files.standardOutput)")
    }
  }

  /// A repository in `folder` whose `ds:v0`, committed under umask 002,
  /// holds each of `files` (below `data/`, two bytes each) with its mode.
  func repository(holding files: [(String, UInt32)], in folder: FilePath) throws {
    try art("init", in: folder)
    for (path, mode) in files {
      try writeFile(Array("x\n".utf8), to: folder.appending("data/" + path))
      try Syscalls.setMode(folder.appending("data/" + path), mode)
    }
    #expect(try art(umask: "002", "commit", "ds", "data", in: folder).status == 0)
  }

  /// A folder's manifest a commit kept (its files unchanged since, as the
  /// stat cache says) counted its modes against the version held then: after a
  /// checkout of another version that left the files as they were, the
  /// modes are counted against that one.
  @Test func aKeptManifestCountsModesAgainstTheVersionHeldNow() async throws {
    try await withTemporaryDirectory { folder in
      try repository(holding: [("keep/a.csv", 0o664), ("other/b.csv", 0o644)], in: folder)
      let file = folder.appending("data/keep/a.csv")
      try Syscalls.setMode(file, 0o644)
      // Past the stat cache's racy window, so the next commit keeps data/keep's manifest.
      try await Task.sleep(for: .milliseconds(2_200))
      #expect(try art(umask: "002", "commit", "ds", "data", in: folder).status == 0)
      #expect(
        try art("diff", "ds:v0", "ds:v1", in: folder).lines == [
          "M  keep/a.csv  (2 B)  mode 664 -> 644"
        ]
      )
      // v0's 664 less umask 022 is the 644 on disk: the checkout leaves the file.
      #expect(try art(umask: "022", "checkout", "ds:v0", in: folder).status == 0)
      try writeFile(Array("n\n".utf8), to: folder.appending("data/other/n.csv"))
      let commit = try art(umask: "022", "commit", "ds", "data", in: folder)
      #expect(commit.status == 0 && commit.standardOutput.contains("ds:v2"))
      let diff = try art("diff", "ds:v0", "ds:v2", in: folder)
      #expect(diff.lines == ["A  other/n.csv  (2 B)"], "\(diff.standardOutput)")
      // Under another umask the same disk counts otherwise, and status and
      // commit agree: the manifest kept for data/keep was counted under 022.
      let stricter = try art(umask: "077", "status", "ds", in: folder)
      #expect(stricter.standardOutput.contains("M  keep/a.csv  (2 B)  mode 664 -> 644"))
      let again = try art(umask: "077", "commit", "ds", "data", in: folder)
      #expect(again.standardOutput.contains("ds:v3"), "\(again.standardOutput)")
    }
  }

  /// Another artifact rooted in a subfolder keeps its own manifest for it
  /// in the stat cache: the outer artifact's next commit counts that
  /// subfolder's modes against its own version, not the other one's.
  @Test func anInnerArtifactsKeptManifestIsNotTheOuterOnes() async throws {
    try await withTemporaryDirectory { folder in
      try repository(holding: [("sub/f.csv", 0o664)], in: folder)
      try FileManager.default.removeItem(atPath: folder.appending("data").string)
      #expect(try art(umask: "077", "checkout", "ds:v0", in: folder).status == 0)
      // Past the stat cache's racy window, so commits keep manifests.
      try await Task.sleep(for: .milliseconds(2_200))
      #expect(try art(umask: "077", "commit", "ds", "data", in: folder).status == 0)
      #expect(try art(umask: "077", "commit", "inner", "data/sub", in: folder).status == 0)
      try writeFile(Array("x\n".utf8), to: folder.appending("data/x.csv"))
      #expect(try art(umask: "077", "commit", "ds", "data", in: folder).status == 0)
      let diff = try art("diff", "ds:v0", "ds:v1", in: folder)
      #expect(diff.lines == ["A  x.csv  (2 B)"], "\(diff.standardOutput)")
    }
  }

  /// A file whose mode is the recorded one itself (committed under umask
  /// 002, checked out under 022) is right as it is: checkout leaves it.
  @Test func aFileWithItsRecordedModeIsNotWrittenAgain() async throws {
    try await withTemporaryDirectory { folder in
      try repository(holding: [("a.csv", 0o664)], in: folder)
      let file = folder.appending("data/a.csv")
      try writeFile(Array("b\n".utf8), to: folder.appending("data/b.csv"))
      #expect(try art(umask: "002", "commit", "ds", "data", in: folder).status == 0)
      let before = try Syscalls.linkStatus(file)
      #expect(try art(umask: "022", "checkout", "ds:v0", in: folder).status == 0)
      let after = try Syscalls.linkStatus(file)
      #expect(after?.inode == before?.inode && after?.permissions == 0o664)
      #expect(try art(umask: "022", "status", "ds", in: folder).standardOutput.contains("clean"))
    }
  }

  /// A file's mode changed by hand is a local change: a checkout of a
  /// version with the same file leaves it, one that changes or drops the
  /// file refuses it (exit 1), and `--force` writes the version's.
  @Test func aFileModeChangedByHandIsALocalChange() async throws {
    try await withTemporaryDirectory { folder in
      try art("init", in: folder)
      let secret = folder.appending("data/secret.csv")
      let other = folder.appending("data/other.csv")
      try write([(secret, Array("s\n".utf8)), (other, Array("o\n".utf8))], mode: 0o644)
      #expect(try art(umask: "022", "commit", "ds", "data", in: folder).status == 0)
      try writeFile(Array("n\n".utf8), to: folder.appending("data/new.csv"))
      try writeFile(Array("o2\n".utf8), to: other)
      #expect(try art(umask: "022", "commit", "ds", "data", in: folder).status == 0)
      #expect(try art(umask: "022", "checkout", "ds:v0", in: folder).status == 0)
      try Syscalls.setMode(secret, 0o600)
      #expect(try art(umask: "022", "checkout", "ds:v1", in: folder).status == 0)
      #expect(try Syscalls.linkStatus(secret)?.permissions == 0o600)
      try Syscalls.setMode(other, 0o600)
      let refused = try art(umask: "022", "checkout", "ds:v0", in: folder)
      #expect(refused.status == 1 && refused.standardError.contains("other.csv"))
      #expect(try readFile(other) == Array("o2\n".utf8))
      #expect(try art(umask: "022", "checkout", "ds:v0", "--force", in: folder).status == 0)
      #expect(try Syscalls.linkStatus(other)?.permissions == 0o644)
      #expect(try Syscalls.linkStatus(secret)?.permissions == 0o644)
    }
  }

  /// A file whose mode is exactly the recorded one, set-user-id bit
  /// included, is as its version has it: status calls it clean, and a
  /// checkout of another version gives it that version's mode, with no
  /// conflict (a checkout itself never sets the bit).
  @Test func aRecordedSetUserIDModeIsNoLocalChange() async throws {
    try await withTemporaryDirectory { folder in
      try art("init", in: folder)
      let file = folder.appending("data/s.sh")
      for (text, mode) in [("x\n", UInt32(0o644)), ("z\n", 0o644), ("x\n", 0o4755)] {
        try write([(file, Array(text.utf8))], mode: mode)
        #expect(try art(umask: "022", "commit", "ds", "data", in: folder).status == 0)
      }
      #expect(try art(umask: "022", "status", "--exit-code", in: folder).status == 0)
      let back = try art(umask: "022", "checkout", "ds:v0", in: folder)
      #expect(
        back.status == 0 && back.standardOutput.contains("1 mode set"), "\(back.standardOutput)")
      #expect(try Syscalls.linkStatus(file)?.permissions == 0o644)
      #expect(try art(umask: "022", "status", "--exit-code", in: folder).status == 0)
      #expect(try art(umask: "022", "checkout", "ds:v2", in: folder).status == 0)
      #expect(try Syscalls.linkStatus(file)?.permissions == 0o755)
      let other = try art(umask: "022", "checkout", "ds:v1", in: folder)
      #expect(other.status == 0, "\(other.standardError)")
      #expect(try readFile(file) == Array("z\n".utf8))
    }
  }

  /// A version that changes only a file's mode gets it in place: the file
  /// is not written again (same inode), in place and `--to` a folder the
  /// last checkout filled, and status is clean after.
  ///
  /// `ls-files` gives an empty folder its recorded mode.
  @Test func aModeOnlyChangeIsSetInPlace() async throws {
    try await withTemporaryDirectory { folder in
      try art("init", in: folder)
      let script = folder.appending("data/run.sh")
      let big = folder.appending("data/big.bin")
      try write(
        [(script, Array("echo hi\n".utf8)), (big, .random(count: 3_000_000, seed: 5))], mode: 0o644)
      try Syscalls.makeDirectories(folder.appending("data/empty"))
      try Syscalls.setMode(folder.appending("data/empty"), 0o700)
      #expect(try art(umask: "022", "commit", "ds", "data", in: folder).status == 0)
      // An empty folder's mode is its recorded one.
      let listed = try art("ls-files", "ds", "--json", in: folder)
      #expect(listed.standardOutput.contains("\"mode\" : \"700\""), "\(listed.standardOutput)")
      for file in [script, big] { try Syscalls.setMode(file, 0o755) }
      #expect(try art(umask: "022", "commit", "ds", "data", in: folder).status == 0)
      #expect(try art(umask: "022", "checkout", "ds:v1", "--to", "copy", in: folder).status == 0)
      let copy = folder.appending("copy/big.bin")
      for (place, files, to) in [
        ("in place", [script, big], [String]()),
        ("--to", [folder.appending("copy/run.sh"), copy], ["--to", "copy"]),
      ] {
        let inodes = try files.map { try #require(try Syscalls.linkStatus($0)).inode }
        for (version, mode) in [("ds:v0", UInt32(0o644)), ("ds:v1", 0o755)] {
          let checkout = try art(umask: "022", ["checkout", version, "--json"] + to, in: folder)
          #expect(checkout.status == 0, "\(place) \(version): \(checkout.standardError)")
          #expect(checkout.standardOutput.contains("\"written\" : 0"), "\(checkout.standardOutput)")
          #expect(
            checkout.standardOutput.contains("\"modesSet\" : \(files.count)"),
            "\(place) \(version): \(checkout.standardOutput)")
          for (file, inode) in zip(files, inodes) {
            let status = try #require(try Syscalls.linkStatus(file))
            #expect(status.permissions == mode && status.inode == inode, "\(place) \(file)")
          }
        }
      }
      #expect(try readFile(copy) == (try readFile(big)))
      let status = try art(umask: "022", "status", "--exit-code", in: folder)
      #expect(status.status == 0, "\(status.standardOutput)")
      let text = try art(umask: "022", "checkout", "ds:v0", in: folder)
      #expect(
        text.standardOutput.contains("0 written (0 B)")
          && text.standardOutput.contains("2 modes set"), "\(text.standardOutput)")
      // A file with another name (a hard link outside the folder) is
      // written anew: the other name keeps its mode.
      let outside = folder.appending("outside.sh")
      #expect(
        try ArtProcess.runTool("/bin/ln", [script.string, outside.string], in: folder).status == 0)
      #expect(try art(umask: "022", "checkout", "ds:v1", in: folder).status == 0)
      let inside = try #require(try Syscalls.linkStatus(script))
      let other = try #require(try Syscalls.linkStatus(outside))
      #expect(inside.permissions == 0o755 && other.permissions == 0o644)
      #expect(inside.inode != other.inode)
    }
  }

  @Test func hashObjectMatchesSha256sum() async throws {
    try await withTemporaryDirectory { folder in
      let names = ["empty", "one", "small.csv", "edge.bin", "big.bin", "name with space ü"]
      let sizes = [0, 1, 5000, 262_144, 3_000_000, 10]
      for (name, size) in zip(names, sizes) {
        try writeFile(.random(count: size, seed: UInt64(size)), to: folder.appending(name))
      }
      let art = try ArtProcess.run(["hash-object"] + names, in: folder)
      #expect(art.status == 0)
      let sums = try ArtProcess.runTool("/usr/bin/sha256sum", names, in: folder)
      #expect(art.lines == sums.lines.map { String($0.prefix(64)) })

      _ = try ArtProcess.run(["init"], in: folder)
      let stored = try ArtProcess.run(["hash-object", "-w"] + names, in: folder)
      #expect(stored.lines == art.lines)
      for (line, name) in zip(stored.lines, names) {
        let cat = try ArtProcess.run(["cat-object", "-p", line], in: folder)
        #expect(cat.standardOutputBytes == (try readFile(folder.appending(name))))
      }
      let input = [UInt8].text(count: 3_000_000, seed: 4)
      let piped = try ArtProcess.run(["hash-object", "-w", "--stdin"], in: folder, input: input)
      let cat = try ArtProcess.run(["cat-object", "-p", piped.lines[0]], in: folder)
      #expect(cat.standardOutputBytes == input)
      let size = try ArtProcess.run(["cat-object", "-s", piped.lines[0]], in: folder)
      #expect(size.lines == ["3000000"])
      let type = try ArtProcess.run(["cat-object", "-t", piped.lines[0]], in: folder)
      #expect(type.lines == ["chunklist"])
    }
  }

  @Test func writeThenReadManifestReproducesTheTree() async throws {
    try await withTemporaryDirectory { folder in
      _ = try ArtProcess.run(["init"], in: folder)
      let data = folder.appending("data")
      for i in 0..<200 {
        try writeFile(
          .text(count: 100 + i * 37, seed: UInt64(i)), to: data.appending("d\(i % 7)/f \(i).csv"))
      }
      try writeFile(.random(count: 2_500_000, seed: 99), to: data.appending("model.bin"))
      try writeFile([], to: data.appending("empty"))
      try Syscalls.makeDirectories(data.appending("nothing/here"))
      try writeFile(Array("ü".utf8), to: data.appending("日本語/naïve file.txt"))
      try Syscalls.symlink(target: Array("model.bin".utf8), at: data.appending("latest.bin"))
      let fifo = try ArtProcess.runTool("/usr/bin/mkfifo", ["data/pipe"], in: folder)
      #expect(fifo.status == 0)

      let written = try ArtProcess.run(["write-manifest", "data"], in: folder)
      #expect(written.status == 0)
      #expect(written.standardError.contains("art: warning: skipped"))
      #expect(written.standardError.contains("pipe"))
      let id = try #require(written.lines.first)
      #expect(id.count == 64)

      let read = try ArtProcess.run(
        ["read-manifest", String(id.prefix(8)), "restored"], in: folder)
      #expect(read.status == 0, "\(read.standardError)")
      try Syscalls.unlink(data.appending("pipe"))
      let diff = try ArtProcess.runTool(
        "/usr/bin/diff", ["-r", "--no-dereference", "data", "restored"], in: folder)
      #expect(diff.status == 0, "\(diff.standardOutput)")

      let listing = try ArtProcess.run(["ls-manifest", "-r", "--long", id], in: folder)
      #expect(listing.lines.count == 200 + 4)
      #expect(listing.standardOutput.contains("120000 symlink"))
      #expect(listing.standardOutput.contains("chunked"))
      #expect(listing.standardOutput.contains("\t日本語/naïve file.txt"))
      let top = try ArtProcess.run(["ls-manifest", id], in: folder)
      #expect(top.standardOutput.contains("manifest"))

      let again = try ArtProcess.run(["read-manifest", id, "restored"], in: folder)
      #expect(again.status == 64)
      #expect(again.standardError.contains("not an empty folder"))

      let verify = try ArtProcess.run(["verify-pack"], in: folder)
      #expect(verify.status == 0)
      #expect(verify.standardOutput.contains("ok"))
      let count = try ArtProcess.run(["count-objects", "--json"], in: folder)
      #expect(count.standardOutput.contains("\"objects\""))
    }
  }

  @Test func corruptPackIsReportedNeverReturned() async throws {
    try await withTemporaryDirectory { folder in
      _ = try ArtProcess.run(["init"], in: folder)
      let content = [UInt8].text(count: 50_000, seed: 8)
      try writeFile(content, to: folder.appending("f.csv"))
      let id = try #require(
        try ArtProcess.run(["hash-object", "-w", "f.csv"], in: folder).lines.first)
      let packs = folder.appending(".art/objects/packs")
      let name = try #require(
        try FileManager.default.contentsOfDirectory(atPath: packs.string).first {
          $0.hasSuffix(".pack")
        })
      let path = packs.appending(name)
      var bytes = try readFile(path)
      bytes[16 + 64 + 100] ^= 1  // inside the object's stored bytes
      try FileManager.default.removeItem(atPath: path.string)
      try writeFile(bytes, to: path)

      let verify = try ArtProcess.run(["verify-pack"], in: folder)
      #expect(verify.status == 2)
      #expect(verify.standardError.contains(name))
      #expect(verify.standardError.contains(id))
      let cat = try ArtProcess.run(["cat-object", "-p", id], in: folder)
      #expect(cat.status == 2)
      #expect(cat.standardOutputBytes.isEmpty)
      #expect(cat.standardError.contains("corrupt"))
      let restore = try ArtProcess.run(["hash-object", "f.csv"], in: folder)
      #expect(restore.lines == [id])
    }
  }

  /// Flips a bit at the offset `at` gives for the pack's bytes, in the one
  /// pack of the repository at `folder`; returns the pack's name.
  @discardableResult
  func flipBit(inPackOf folder: FilePath, at offset: ([UInt8]) -> Int) throws -> String {
    let packs = folder.appending(".art/objects/packs")
    let name = try #require(
      try FileManager.default.contentsOfDirectory(atPath: packs.string).first {
        $0.hasSuffix(".pack")
      })
    var bytes = try readFile(packs.appending(name))
    bytes[offset(bytes)] ^= 0x10
    try writeFile(bytes, to: packs.appending(name))
    return name
  }

  /// A checkout into a new folder that fails removes what it wrote, and
  /// only that: files someone put there while it ran stay.
  @Test func aFailedCopyRemovesOnlyWhatItWrote() async throws {
    try await withTemporaryDirectory { folder in
      _ = try ArtProcess.run(["init"], in: folder)
      for index in 0..<2000 {
        try writeFile(
          Array("row \(index)\n".utf8), to: folder.appending("data/d\(index % 10)/f\(index).txt"))
      }
      try writeFile(.random(count: 3_000_000, seed: 4), to: folder.appending("data/zz.bin"))
      #expect(try ArtProcess.run(["commit", "ds", "data"], in: folder).status == 0)
      try flipBit(inPackOf: folder) { $0.count - 1_000_000 }  // a chunk of zz.bin, written last

      let out = folder.appending("out")
      let process = try ArtProcess.start(["checkout", "ds", "--to", "out"], in: folder)
      // Once the copy has begun, someone else writes into the folder too.
      let deadline = ContinuousClock.now + .seconds(20)
      while !FileManager.default.fileExists(atPath: out.appending("d0").string),
        process.isRunning, ContinuousClock.now < deadline
      {
        try await Task.sleep(for: .milliseconds(1))
      }
      try writeFile(Array("mine\n".utf8), to: out.appending("mine.txt"))
      try writeFile(Array("mine too\n".utf8), to: out.appending("d0/mine.txt"))
      process.waitUntilExit()
      #expect(process.terminationStatus == 2)
      #expect(try readFile(out.appending("mine.txt")) == Array("mine\n".utf8))
      #expect(try readFile(out.appending("d0/mine.txt")) == Array("mine too\n".utf8))
      let left = try FileManager.default.subpathsOfDirectory(atPath: out.string).sorted()
      #expect(left == ["d0", "d0/mine.txt", "mine.txt"])
    }
  }

  @Test func checkoutOfADamagedChunkLeavesNoFile() async throws {
    try await withTemporaryDirectory { folder in
      _ = try ArtProcess.run(["init"], in: folder)
      try writeFile(.random(count: 2_000_000, seed: 4), to: folder.appending("data/big.bin"))
      try writeFile(Array("fine\n".utf8), to: folder.appending("data/small.txt"))
      #expect(try ArtProcess.run(["commit", "ds", "data"], in: folder).status == 0)
      let name = try flipBit(inPackOf: folder) { _ in 1_000_000 }  // some chunk of big.bin

      let checkout = try ArtProcess.run(["checkout", "ds", "--to", "out"], in: folder)
      #expect(checkout.status == 2)
      #expect(checkout.standardError.contains(name), "\(checkout.standardError)")
      // The folder it made is removed with what was written into it.
      #expect(!FileManager.default.fileExists(atPath: folder.appending("out").string))
    }
  }

  @Test func badInputGetsClearErrors() async throws {
    try await withTemporaryDirectory { folder in
      _ = try ArtProcess.run(["init"], in: folder)
      let badID = try ArtProcess.run(["cat-object", "-p", "xyz"], in: folder)
      #expect(badID.status == 64)
      #expect(badID.standardError.contains("'xyz' is not an object id"))
      let missing = try ArtProcess.run(["cat-object", "-t", "abcd1234"], in: folder)
      #expect(missing.status == 1)
      #expect(missing.standardError.contains("no object with id 'abcd1234'"))
      let twoFlags = try ArtProcess.run(["cat-object", "-t", "-p", "abcd"], in: folder)
      #expect(twoFlags.status == 64)
      let codec = try ArtProcess.run(["write-manifest", "--compression", "brotli"], in: folder)
      #expect(codec.status == 64)
      #expect(codec.standardError.contains("brotli") && codec.standardError.contains("zstd:LEVEL"))
      let noFile = try ArtProcess.run(["hash-object", "nope.txt"], in: folder)
      #expect(noFile.status == 1)
      #expect(noFile.standardError.contains("nope.txt"))
      let folderArgument = try ArtProcess.run(["hash-object", "."], in: folder)
      #expect(folderArgument.standardError.contains("write-manifest"))

      try writeFile(
        Array("[core]\ncompression = fast\n".utf8), to: folder.appending(".art/config.new"))
      try FileManager.default.removeItem(atPath: folder.appending(".art/config").string)
      try FileManager.default.moveItem(
        atPath: folder.appending(".art/config.new").string,
        toPath: folder.appending(".art/config").string)
      let badConfig = try ArtProcess.run(["count-objects"], in: folder)
      #expect(badConfig.status == 64)
      #expect(badConfig.standardError.contains("line 2"))
      try writeFile(
        Array("[core]\nformat = 2\n[gc]\nkeeplast = 1\n".utf8),
        to: folder.appending(".art/config.new"))
      try FileManager.default.removeItem(atPath: folder.appending(".art/config").string)
      try FileManager.default.moveItem(
        atPath: folder.appending(".art/config.new").string,
        toPath: folder.appending(".art/config").string)
      let typo = try ArtProcess.run(["gc", "--dry-run"], in: folder)
      #expect(typo.status == 64)
      #expect(typo.standardError.contains("did you mean 'keepLast'?"), "\(typo.standardError)")
    }
  }

  @Test func unstorableNameFailsAndChangesNothing() async throws {
    try await withTemporaryDirectory { folder in
      _ = try ArtProcess.run(["init"], in: folder)
      try writeFile(.text(count: 500_000, seed: 1), to: folder.appending("data/ok.csv"))
      try writeFile([1], to: folder.appending("data/bad\nname"))
      let result = try ArtProcess.run(["write-manifest", "data"], in: folder)
      #expect(result.status == 64)
      #expect(result.standardError.contains("newline"))
      #expect(result.standardError.contains("rename it"))
      let packs = try FileManager.default.contentsOfDirectory(
        atPath: folder.appending(".art/objects/packs").string)
      #expect(packs.isEmpty, "\(packs)")
    }
  }

  @Test func ambiguousPrefixListsCandidates() async throws {
    try await withTemporaryDirectory { folder in
      _ = try ArtProcess.run(["init"], in: folder)
      var seen: [String: Int] = [:]
      var pair: (Int, Int)? = nil
      var i = 0
      while pair == nil {
        let prefix = ObjectHasher.id(of: Array("n\(i)".utf8)).prefix(4)
        if let other = seen[prefix] { pair = (other, i) }
        seen[prefix] = i
        i += 1
        if i > 5000 { break }
      }
      let (a, b) = try #require(pair)
      try writeFile(Array("n\(a)".utf8), to: folder.appending("a"))
      try writeFile(Array("n\(b)".utf8), to: folder.appending("b"))
      let ids = try ArtProcess.run(["hash-object", "-w", "a", "b"], in: folder).lines
      let result = try ArtProcess.run(["cat-object", "-t", String(ids[0].prefix(4))], in: folder)
      #expect(result.status == 64)
      #expect(result.standardError.contains("ambiguous"))
      #expect(result.standardError.contains(ids[0]) && result.standardError.contains(ids[1]))
    }
  }
}
