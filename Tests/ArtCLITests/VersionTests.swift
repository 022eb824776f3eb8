import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// commit, log, show, diff, status, checkout, alias, rm and rev-parse,
/// run in process.
@Suite("Versions, in process")
struct VersionTests {
  /// 100 small CSV files and one 2 MB binary, under `data/`.
  func makeDataset(_ folder: FilePath) throws {
    for i in 0..<100 {
      try writeFile(
        .text(count: 500 + i * 13, seed: UInt64(i)),
        to: folder.appending("data/t\(i / 10)/f\(i).csv"))
    }
    try writeFile(.random(count: 2_000_000, seed: 77), to: folder.appending("data/model.bin"))
  }

  /// Runs art in process in `folder` (see ``artInProcess(_:in:clockAhead:)``).
  func art(_ arguments: String..., in folder: FilePath) async throws -> ProcessResult {
    await artInProcess(arguments, in: folder)
  }

  @Test func commitChangeDiffCheckoutRoundTrip() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeDataset(folder)
      let first = try await art(
        "commit", "ds", "data", "--type", "dataset", "-m", "first", "--metadata", "rows=100",
        "--metadata", "source=lab", in: folder)
      #expect(first.status == 0, "\(first.standardError)")
      #expect(first.lines.first?.hasPrefix("ds:v0 ") == true)
      let v0Copy = try ArtProcess.runTool("/bin/cp", ["-a", "data", "v0-copy"], in: folder)
      #expect(v0Copy.status == 0)

      let again = try await art("commit", "ds", in: folder)
      #expect(again.status == 0)
      #expect(again.standardOutput.contains("nothing changed"))

      // Change 1%: one file modified, one added, one removed, one renamed.
      try writeFile(Array("changed\n".utf8), to: folder.appending("data/t0/f1.csv"))
      try writeFile(Array("new\n".utf8), to: folder.appending("data/t9/added.csv"))
      try FileManager.default.removeItem(atPath: folder.appending("data/t2/f20.csv").string)
      try FileManager.default.moveItem(
        atPath: folder.appending("data/t3/f30.csv").string,
        toPath: folder.appending("data/t3/renamed.csv").string)
      let status = try await art("status", in: folder)
      #expect(status.standardOutput.contains("4 changes"), "\(status.standardOutput)")
      let second = try await art(
        "commit", "ds", "-m", "second", "--alias", "production", in: folder)
      #expect(second.lines.first?.hasPrefix("ds:v1 ") == true, "\(second.standardError)")

      let diff = try await art("diff", "ds:v0", "ds:v1", "--name-status", in: folder)
      #expect(
        diff.lines.sorted() == [
          "A\tt9/added.csv", "D\tt2/f20.csv", "M\tt0/f1.csv", "R\tt3/f30.csv\tt3/renamed.csv",
        ])
      let stat = try await art("diff", "ds:v0", "ds:v1", "--stat", in: folder)
      #expect(stat.standardOutput.contains("1 added, 1 removed, 1 modified, 1 renamed"))

      let back = try await art("checkout", "ds:v0", in: folder)
      #expect(back.status == 0, "\(back.standardError)")
      let same = try ArtProcess.runTool("/usr/bin/diff", ["-r", "data", "v0-copy"], in: folder)
      #expect(same.status == 0, "\(same.standardOutput)")
      #expect(try await art("checkout", "ds:production", in: folder).status == 0)
      #expect(try await art("status", "ds", in: folder).standardOutput.contains("clean"))
      let copy = try await art("checkout", "ds:v0", "--to", "copy", in: folder)
      #expect(copy.status == 0)
      #expect(
        try ArtProcess.runTool("/usr/bin/diff", ["-r", "copy", "v0-copy"], in: folder).status == 0)

      let log = try await art("log", "ds", in: folder)
      #expect(log.lines.count == 2)
      #expect(log.lines[0].hasPrefix("v1") && log.lines[0].contains("latest, production"))
      let show = try await art("show", "ds:v0", "--json", in: folder)
      let json =
        try JSONSerialization.jsonObject(with: Data(show.standardOutputBytes)) as? [String: Any]
      let metadata = json?["metadata"] as? [String: Any]
      #expect(metadata?["rows"] as? Int == 100)
      #expect(metadata?["source"] as? String == "lab")
      #expect(json?["files"] as? Int == 101)
      let id = try #require(try await art("rev-parse", "ds:v0", in: folder).lines.first)
      #expect(id.count == 64)
      #expect(try await art("rev-parse", String(id.prefix(8)), in: folder).lines == [id])
    }
  }

  @Test func checkoutRefusesToLoseLocalChanges() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeDataset(folder)
      _ = try await art("commit", "ds", "data", in: folder)
      try writeFile(Array("v1\n".utf8), to: folder.appending("data/t0/f0.csv"))
      _ = try await art("commit", "ds", in: folder)
      try writeFile(Array("local edit\n".utf8), to: folder.appending("data/t0/f0.csv"))
      try writeFile(Array("mine\n".utf8), to: folder.appending("data/untracked.txt"))
      let refused = try await art("checkout", "ds:v0", in: folder)
      #expect(refused.status == 1)  // a conflict, not a misuse
      #expect(refused.standardError.contains("t0/f0.csv"))
      #expect(try readFile(folder.appending("data/t0/f0.csv")) == Array("local edit\n".utf8))
      let forced = try await art("checkout", "ds:v0", "--force", in: folder)
      #expect(forced.status == 0)
      #expect(try readFile(folder.appending("data/untracked.txt")) == Array("mine\n".utf8))
    }
  }

  @Test func aliasesMoveAndProtectedVersionsNeedForce() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeDataset(folder)
      _ = try await art("commit", "ds", "data", "--alias", "production", in: folder)
      try writeFile([1], to: folder.appending("data/x"))
      _ = try await art("commit", "ds", in: folder)
      let moved = try await art("alias", "set", "ds:v1", "production", in: folder)
      #expect(moved.standardOutput.contains("ds:production -> v1 (was v0)"))
      #expect(try await art("alias", "set", "ds:v0", "latest", in: folder).status == 64)
      let refused = try await art("rm", "ds:v1", in: folder)
      #expect(refused.status == 64)
      #expect(refused.standardError.contains("production"))
      #expect(try await art("rm", "ds:v1", "--force", in: folder).status == 0)
      #expect(
        try await art("rev-parse", "ds:latest", in: folder).lines
          == (try await art("rev-parse", "ds:v0", in: folder)).lines)
      try writeFile([2], to: folder.appending("data/y"))
      let next = try await art("commit", "ds", in: folder)
      #expect(next.lines.first?.hasPrefix("ds:v2 ") == true, "numbers are never reused")
      let missing = try await art("show", "ds:v9", in: folder)
      #expect(missing.status == 1)
      #expect(missing.standardError.contains("no version 'v9' of 'ds'"))
      #expect(missing.standardError.contains("aliases latest"))
    }
  }

  @Test func protectedAliasesComeFromConfig() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      let config = folder.appending(".art/config")
      var text = String(decoding: try readFile(config), as: UTF8.self)
      text = text.replacingOccurrences(
        of: "protected = production, best", with: "protected = champion")
      try FileManager.default.removeItem(atPath: config.string)
      try writeFile(Array(text.utf8), to: config)
      try makeDataset(folder)
      _ = try await art("commit", "ds", "data", "--alias", "champion", in: folder)
      try writeFile([1], to: folder.appending("data/x"))
      _ = try await art("commit", "ds", "--alias", "production", in: folder)
      #expect(try await art("rm", "ds:v0", in: folder).status == 64)
      #expect(try await art("rm", "ds:v1", in: folder).status == 0)
    }
  }

  /// Issue 16, item 4: `art rm NAME` no longer removes the newest version
  /// without a word.
  @Test func removingNeedsAVersionNotJustAName() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeDataset(folder)
      _ = try await art("commit", "ds", "data", in: folder)
      let refs = try readFile(folder.appending(".art/refs"))
      let bare = try await art("rm", "ds", in: folder)
      #expect(bare.status == 64, "\(bare.standardError)")
      #expect(bare.standardError.contains("names an artifact, not one of its versions"))
      #expect(bare.standardError.contains("art rm ds:vN"))
      #expect(try readFile(folder.appending(".art/refs")) == refs)
      let latest = try await art("rm", "ds:latest", in: folder)
      #expect(latest.status == 0, "\(latest.standardError)")
      #expect(latest.standardOutput.contains("removed ds:v0"))
    }
  }

  @Test func badInputIsRefusedAndChangesNothing() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeDataset(folder)
      _ = try await art("commit", "ds", "data", "--type", "dataset", in: folder)
      let refs = try readFile(folder.appending(".art/refs"))
      let cases: [[String]] = [
        ["commit", "ds", "--type", "model"],
        ["commit", "new", ".."],
        ["commit", "new", ".art"],
        ["commit", "new"],
        ["commit", "bad:name", "data"],
        ["commit", "ds", "--alias", "v3"],
        ["commit", "ds", "--ttl", "soon"],
        ["commit", "ds", "--metadata", "novalue"],
        ["commit", "ds", "--metadata-file", "data/t0/f0.csv"],
      ]
      for arguments in cases {
        let result = try ArtProcess.run(arguments, in: folder)
        #expect(result.status != 0, "\(arguments) succeeded")
        #expect(result.standardError.contains("art: error:"), "\(arguments)")
      }
      #expect(try readFile(folder.appending(".art/refs")) == refs)
    }
  }

  @Test func concurrentCommitsAllLand() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      for i in 0..<10 {
        try writeFile(.text(count: 50_000, seed: UInt64(i)), to: folder.appending("d\(i)/x.csv"))
      }
      // Ten processes commit to one artifact at once (distinct roots, so
      // every commit makes a version).
      let results = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
        for i in 0..<10 {
          group.addTask { try ArtProcess.run(["commit", "shared", "d\(i)"], in: folder) }
        }
        var all: [ProcessResult] = []
        for try await result in group { all.append(result) }
        return all
      }
      for result in results { #expect(result.status == 0, "\(result.standardError)") }
      let numbers = Set(results.compactMap { $0.lines.first?.split(separator: " ").first })
      #expect(numbers.count == 10)
      #expect(try await art("log", "shared", in: folder).lines.count == 10)
      #expect(try await art("fsck", in: folder).status == 0)
    }
  }

  @Test func staleLockIsClearedAndLiveLockTimesOut() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeDataset(folder)
      // A lock left by a process that no longer exists.
      try writeFile(Array("pid 999999\n".utf8), to: folder.appending(".art/refs.lock"))
      let cleared = try await art("commit", "ds", "data", in: folder)
      #expect(cleared.status == 0, "\(cleared.standardError)")
      #expect(cleared.standardError.contains("stale lock"))
      // A lock held by a live process (this test's own pid).
      try writeFile(
        Array("pid \(ProcessInfo.processInfo.processIdentifier)\n".utf8),
        to: folder.appending(".art/refs.lock"))
      let waited = try await art("alias", "set", "ds:v0", "best", "--lock-timeout", "1", in: folder)
      #expect(waited.status == 1)
      #expect(waited.standardError.contains("locked by process"))
      // A lock with no pid: fresh, it is respected; a minute old, its maker
      // was killed between creating and writing it.
      try writeFile([], to: folder.appending(".art/refs.lock"))
      let fresh = try await art("alias", "set", "ds:v0", "best", "--lock-timeout", "1", in: folder)
      #expect(fresh.status == 1)
      _ = try ArtProcess.runTool(
        "/usr/bin/touch", ["-d", "-1 minute", ".art/refs.lock"], in: folder)
      let old = try await art("alias", "set", "ds:v0", "best", in: folder)
      #expect(old.status == 0, "\(old.standardError)")
      #expect(old.standardError.contains("with no process id"))
    }
  }

  @Test func leftoversOfAKilledCheckoutAreNotData() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeDataset(folder)
      #expect(try await art("commit", "ds", "data", in: folder).status == 0)
      // What a checkout killed between link and rename leaves (pid gone).
      try writeFile(Array("half\n".utf8), to: folder.appending("data/t1/.art-tmp-999999-7"))
      // A name that only looks similar is data.
      try writeFile(Array("mine\n".utf8), to: folder.appending("data/t1/.art-tmp-notes"))
      let status = try await art("status", "ds", in: folder)
      #expect(status.standardOutput.contains("1 change"), "\(status.standardOutput)")
      #expect(status.standardOutput.contains(".art-tmp-notes"))
      #expect(try await art("commit", "ds", in: folder).status == 0)
      let files = try await art("diff", "ds:v0", "ds:v1", "--name-status", in: folder)
      #expect(files.lines == ["A\tt1/.art-tmp-notes"], "\(files.standardOutput)")
    }
  }

  @Test func checkoutToRestoresModesAndLinks() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeDataset(folder)
      try Syscalls.setMode(folder.appending("data/t1"), 0o700)
      try Syscalls.setMode(folder.appending("data/t2/f20.csv"), 0o755)
      try Syscalls.symlink(target: Array("t0/f0.csv".utf8), at: folder.appending("data/link"))
      try Syscalls.makeDirectories(folder.appending("data/empty"))
      #expect(try await art("commit", "ds", "data", in: folder).status == 0)
      let copy = try await art("checkout", "ds", "--to", "copy", in: folder)
      #expect(copy.status == 0, "\(copy.standardError)")
      let listing = try ArtProcess.runTool(
        "/bin/sh", ["-c", "cd data && find . -printf '%y %m %p %l\\n' | sort"], in: folder)
      let copied = try ArtProcess.runTool(
        "/bin/sh", ["-c", "cd copy && find . -printf '%y %m %p %l\\n' | sort"], in: folder)
      #expect(listing.standardOutput.contains("d 700 ./t1"))
      #expect(copied.standardOutput == listing.standardOutput)
      #expect(
        try ArtProcess.runTool(
          "/usr/bin/diff", ["-r", "--no-dereference", "data", "copy"], in: folder
        )
        .status == 0)
    }
  }

  /// A mode a commit records is a change status and diff show: a file's
  /// beside its size, a folder's (and an empty folder's) as a line of its own.
  @Test func statusAndDiffShowModeChangesOfFilesAndFolders() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeDataset(folder)
      try Syscalls.makeDirectories(folder.appending("data/empty"))
      // Set, not left to the umask.
      for (path, mode) in [("data/t1", 0o755), ("data/empty", 0o755), ("data/t2/f20.csv", 0o644)] {
        try Syscalls.setMode(folder.appending(path), UInt32(mode))
      }
      #expect(try await art("commit", "ds", "data", in: folder).status == 0)
      try Syscalls.setMode(folder.appending("data/t1"), 0o700)
      try Syscalls.setMode(folder.appending("data/empty"), 0o750)
      try Syscalls.setMode(folder.appending("data/t2/f20.csv"), 0o755)
      let expected = [
        "M\tempty", "M\tt1", "M\tt2/f20.csv",
      ]
      let status = try await art("diff", "ds", "--name-status", in: folder)
      #expect(status.lines == expected, "\(status.standardOutput)")
      let text = try await art("status", in: folder)
      #expect(text.standardOutput.contains("M  t1  mode 755 -> 700"), "\(text.standardOutput)")
      #expect(
        text.standardOutput.contains("M  t2/f20.csv  (760 B)  mode 644 -> 755"),
        "\(text.standardOutput)")
      let commit = try await art("commit", "ds", "data", in: folder)
      #expect(commit.status == 0 && commit.standardOutput.contains("ds:v1"))
      #expect(try await art("status", in: folder).standardOutput.contains("clean"))
      let versions = try await art("diff", "ds:v0", "ds:v1", "--name-status", in: folder)
      #expect(versions.lines == expected, "\(versions.standardOutput)")
      let json = try await art("diff", "ds:v0", "ds:v1", "--json", in: folder)
      for field in [#""oldMode" : "755""#, #""newMode" : "700""#, #""newMode" : "750""#] {
        #expect(json.standardOutput.contains(field), "\(json.standardOutput)")
      }

      // Checkout in place brings each folder to its version's mode, a
      // folder it creates too; one changed by hand stays, unless --force.
      #expect(try await art("checkout", "ds:v0", in: folder).status == 0)
      try FileManager.default.removeItem(atPath: folder.appending("data/empty").string)
      #expect(try await art("checkout", "ds:v1", in: folder).status == 0)
      #expect(try await art("status", in: folder).standardOutput.contains("clean"))
      for (path, mode) in [("data/t1", 0o700), ("data/empty", 0o750)] {
        #expect(try Syscalls.linkStatus(folder.appending(path))?.permissions == UInt32(mode))
      }
      try Syscalls.setMode(folder.appending("data/t1"), 0o711)
      #expect(try await art("checkout", "ds:v0", in: folder).status == 0)
      #expect(try Syscalls.linkStatus(folder.appending("data/t1"))?.permissions == 0o711)
      #expect(try await art("checkout", "ds:v0", "--force", in: folder).status == 0)
      #expect(try await art("status", in: folder).standardOutput.contains("clean"))

      // A folder deleted by hand comes back with its mode, though both
      // versions record the same one.
      #expect(try await art("checkout", "ds:v1", in: folder).status == 0)
      try FileManager.default.removeItem(atPath: folder.appending("data/t1").string)
      let again = try await art("checkout", "ds:v1", in: folder)
      #expect(again.status == 0, "\(again.standardError)")
      #expect(try Syscalls.linkStatus(folder.appending("data/t1"))?.permissions == 0o700)
      #expect(try await art("status", in: folder).standardOutput.contains("clean"))
    }
  }

  /// A link where a folder whose mode changes belongs: checkout refuses
  /// it, and with --force replaces the link by a real folder; the link's
  /// target keeps its mode either way.
  @Test func aFolderModeIsNeverSetThroughALink() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try writeFile(Array("a\n".utf8), to: folder.appending("data/t1/a"))
      try Syscalls.setMode(folder.appending("data/t1"), 0o755)
      #expect(try await art("commit", "ds", "data", in: folder).status == 0)
      try Syscalls.setMode(folder.appending("data/t1"), 0o700)
      #expect(try await art("commit", "ds", "data", in: folder).status == 0)
      #expect(try await art("checkout", "ds:v0", in: folder).status == 0)
      let outside = folder.appending("outside")
      try Syscalls.makeDirectories(outside)
      try Syscalls.setMode(outside, 0o755)
      try FileManager.default.removeItem(atPath: folder.appending("data/t1").string)
      try Syscalls.symlink(target: Array(outside.string.utf8), at: folder.appending("data/t1"))
      #expect(try await art("checkout", "ds:v1", in: folder).status == 64)
      #expect(try await art("checkout", "ds:v1", "--force", in: folder).status == 0)
      #expect(try Syscalls.linkStatus(outside)?.permissions == 0o755)
      let t1 = try Syscalls.linkStatus(folder.appending("data/t1"))
      #expect(t1?.kind == .directory && t1?.permissions == 0o700)
    }
  }

  /// Root reads any file, so this runs art as `nobody` on a repository it
  /// owns, with one file only root may read.
  @Test(.enabled(if: getuid() == 0, "needs root to switch to another user"))
  func anUnreadableFileFailsTheCommitAndChangesNothing() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeDataset(folder)
      try writeFile(Array("secret\n".utf8), to: folder.appending("data/t3/secret.csv"))
      _ = try ArtProcess.runTool("/bin/chown", ["-R", "nobody", folder.string], in: folder)
      _ = try ArtProcess.runTool("/bin/chown", ["root", "data/t3/secret.csv"], in: folder)
      try Syscalls.setMode(folder.appending("data/t3/secret.csv"), 0o000)
      let asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", ArtProcess.binary]
      let commit = try ArtProcess.runTool(
        "/usr/bin/setpriv", asNobody + ["commit", "ds", "data"], in: folder)
      #expect(commit.status == 1)
      #expect(commit.standardError.contains("cannot open '\(folder.string)/data/t3/secret.csv'"))
      #expect(commit.standardError.contains("Permission denied"))
      #expect(commit.standardError.contains("hint: check the permissions"))
      #expect(try await art("log", in: folder).standardOutput.contains("no artifacts yet"))
      let packs = try FileManager.default.contentsOfDirectory(
        atPath: folder.appending(".art/objects/packs").string)
      #expect(packs.isEmpty, "\(packs)")
    }
  }

  @Test func statCacheNeverHidesAChange() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      let file = folder.appending("data/a.csv")
      try writeFile(Array("aaaa\n".utf8), to: file)
      // Racy: changed right after the commit, same size, within the same
      // second — the cache must not vouch for it.
      _ = try await art("commit", "ds", "data", in: folder)
      try writeFile(Array("bbbb\n".utf8), to: file)
      let racy = try await art("commit", "ds", in: folder)
      #expect(racy.lines.first?.hasPrefix("ds:v1") == true, "\(racy.standardOutput)")

      // Settled, cached, then changed with size and mtime put back: ctime
      // still differs, so it is read again.
      let stamp = ["-m", "-d", "@1790000000.123456789", "data/a.csv"]
      _ = try ArtProcess.runTool("/usr/bin/touch", stamp, in: folder)
      // Past the racy window by the clock the cache reads.
      _ = await artInProcess("commit", "ds", in: folder, clockAhead: 2_100)
      let cache = String(
        decoding: try readFile(folder.appending(".art/state/stat-cache")), as: UTF8.self)
      #expect(cache.contains("a.csv"))
      try writeFile(Array("cccc\n".utf8), to: file)
      _ = try ArtProcess.runTool("/usr/bin/touch", stamp, in: folder)
      let sneaky = try await art("commit", "ds", in: folder)
      #expect(sneaky.lines.first?.hasPrefix("ds:v") == true, "\(sneaky.standardOutput)")
      #expect(!sneaky.standardOutput.contains("nothing changed"))
      let content = try await art("diff", "ds", in: folder)
      #expect(content.standardOutput.contains("0 added, 0 removed, 0 modified"))
    }
  }

  @Test func aCommitAfterGCNeverNamesWhatGCDeleted() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try writeFile(Array("kept\n".utf8), to: folder.appending("data/kept.csv"))
      try writeFile(Array("first\n".utf8), to: folder.appending("data/sub/b.csv"))
      let stamp = ["-m", "-d", "@1790000000", "data/kept.csv", "data/sub/b.csv"]
      _ = try ArtProcess.runTool("/usr/bin/touch", stamp, in: folder)
      #expect(await artInProcess("commit", "ds", "data", in: folder, clockAhead: 2_100).status == 0)
      // v1 holds a content no other version has; the stat cache names it,
      // and the manifest of `sub` holding it.
      try writeFile(Array("second\n".utf8), to: folder.appending("data/sub/b.csv"))
      _ = try ArtProcess.runTool("/usr/bin/touch", stamp, in: folder)
      #expect(await artInProcess("commit", "ds", in: folder, clockAhead: 2_100).status == 0)
      let rm = await artInProcess("rm", "ds:v1", "--force", in: folder)
      #expect(rm.status == 0, "\(rm.standardError)")
      let gc = await artInProcess("gc", "--grace", "0s", in: folder)
      #expect(gc.status == 0, "\(gc.standardError)")
      // The file is as the cache knows it, but gc deleted its content: it
      // is read and stored again, never named while missing.
      let again = await artInProcess("commit", "ds", "--json", in: folder, clockAhead: 2_100)
      #expect(again.status == 0, "\(again.standardError)")
      let fsck = try await art("fsck", in: folder)
      #expect(fsck.status == 0, "\(fsck.standardOutput)\(fsck.standardError)")
      let out = folder.appending("out")
      let checkout = try await art("checkout", "ds", "--to", out.string, in: folder)
      #expect(checkout.status == 0, "\(checkout.standardError)")
      #expect(try readFile(out.appending("sub/b.csv")) == Array("second\n".utf8))
    }
  }

  @Test func namesEqualOnlyAsStringsAreTwoFiles() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      // Composed and decomposed é: one name to Swift's String, two files
      // to the file system (macOS and Linux alike keep both).
      let composed = "data/\u{E9}.csv"
      let decomposed = "data/e\u{301}.csv"
      try writeFile(Array("composed\n".utf8), to: folder.appending(composed))
      try writeFile(Array("decomposed\n".utf8), to: folder.appending(decomposed))
      try writeFile(Array("notes\n".utf8), to: folder.appending("notes.txt"))
      _ = try await art("commit", "ds", "data", in: folder)
      let files = try await art("ls-files", "ds", in: folder)
      #expect(files.lines.count == 2, "\(files.standardOutput)")

      // A draft keeps both.
      let draft = try await art(
        "commit", "ds", "--from", "ds:v0", "--add", "notes.txt=notes.txt", in: folder)
      #expect(draft.status == 0, "\(draft.standardError)")
      let out = folder.appending("out")
      _ = try await art("checkout", "ds:v1", "--to", out.string, in: folder)
      #expect(try readFile(out.appending("\u{E9}.csv")) == Array("composed\n".utf8))
      #expect(try readFile(out.appending("e\u{301}.csv")) == Array("decomposed\n".utf8))
      #expect(try readFile(out.appending("notes.txt")) == Array("notes\n".utf8))

      // A change to one is seen by status, diff and commit.
      _ = try await art("checkout", "ds:v0", in: folder)
      try writeFile(Array("decomposed, changed\n".utf8), to: folder.appending(decomposed))
      // Compared as bytes: `String` would take either é for the other.
      func bytes(_ lines: [String]) -> [[UInt8]] { lines.map { Array($0.utf8) } }
      let status = try await art("status", "ds", in: folder)
      let changed = bytes(status.lines).filter { $0.starts(with: Array("  ".utf8)) }
      #expect(changed.count == 1, "\(status.standardOutput)")
      func holds(_ line: [UInt8], _ name: String) -> Bool {
        let name = Array(name.utf8)
        return line.count >= name.count
          && (0...line.count - name.count).contains {
            line[$0..<$0 + name.count].elementsEqual(name)
          }
      }
      #expect(changed.first.map { holds($0, "e\u{301}.csv") } == true)
      #expect(changed.first.map { holds($0, "\u{E9}.csv") } == false)
      _ = try await art("commit", "ds", in: folder)
      let diff = try await art("diff", "ds:v0", "ds:v2", "--name-status", in: folder)
      #expect(bytes(diff.lines) == bytes(["M\te\u{301}.csv"]), "\(diff.standardOutput)")
    }
  }

  @Test func lookAlikeFoldersAreTwoFolders() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      // Composed and decomposed é again, as folder names: one pair with
      // different files, one with the same file (the same manifest).
      let names = ["p/d\u{E9}/f", "p/de\u{301}/f", "q/\u{E9}/g", "q/e\u{301}/g"]
      let contents = ["one\n", "two\n", "same\n", "same\n"]
      for (name, content) in zip(names, contents) {
        try writeFile(Array(content.utf8), to: folder.appending("data/" + name))
      }
      try writeFile(Array("z\n".utf8), to: folder.appending("data/p/z"))
      _ = try ArtProcess.runTool(
        "/usr/bin/find", ["data", "-exec", "touch", "-m", "-d", "@1790000000", "{}", "+"],
        in: folder)
      #expect(await artInProcess("commit", "ds", "data", in: folder, clockAhead: 2_100).status == 0)
      // Cached now, each folder with its manifest: a commit that rebuilds
      // their parent must keep each folder's own.
      try writeFile(Array("y\n".utf8), to: folder.appending("data/p/z"))
      #expect(await artInProcess("commit", "ds", in: folder, clockAhead: 2_100).status == 0)
      let files = try await art("ls-files", "ds", in: folder)
      #expect(files.lines.count == 5, "\(files.standardOutput)")
      let out = folder.appending("out")
      _ = try await art("checkout", "ds", "--to", out.string, in: folder)
      for (name, content) in zip(names, contents) {
        #expect(try readFile(out.appending(name)) == Array(content.utf8), "\(name)")
      }
      let status = try await art("status", "ds", in: folder)
      #expect(status.standardOutput.contains("clean"), "\(status.standardOutput)")
    }
  }

  @Test func draftAddsAndRemovesOnly() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeDataset(folder)
      _ = try await art("commit", "ds", "data", in: folder)
      try writeFile(Array("new\n".utf8), to: folder.appending("data/extra/new.csv"))
      try writeFile(Array("replaced\n".utf8), to: folder.appending("data/t1/f10.csv"))
      // A change on disk that the draft does not name stays out of it.
      try writeFile(Array("not in the draft\n".utf8), to: folder.appending("data/t2/f21.csv"))
      let draft = try await art(
        "commit", "ds", "--from", "ds:v0", "--add", "data/extra", "--add", "data/t1/f10.csv",
        "--remove", "data/t0", in: folder)
      #expect(draft.status == 0, "\(draft.standardError)")
      let diff = try await art("diff", "ds:v0", "ds:v1", "--name-status", in: folder)
      let removed = diff.lines.filter { $0.hasPrefix("D\tt0/") }
      #expect(removed.count == 10)
      #expect(diff.lines.contains("A\textra/new.csv"))
      #expect(diff.lines.contains("M\tt1/f10.csv"))
      #expect(!diff.standardOutput.contains("f21"))
      let show = try await art("show", "ds:v1", "--json", in: folder)
      let json =
        try JSONSerialization.jsonObject(with: Data(show.standardOutputBytes)) as? [String: Any]
      #expect(json?["files"] as? Int == 101 - 10 + 1)
      let missing = try await art(
        "commit", "ds", "--from", "ds:v0", "--remove", "data/nope", in: folder)
      #expect(missing.status == 64)
      #expect(missing.standardError.contains("'nope' is not in the version"))
    }
  }

  @Test func freshDraftHoldsOnlyWhatItAdds() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeDataset(folder)
      _ = try await art("commit", "ds", "data", in: folder)
      try writeFile(Array("n\n".utf8), to: folder.appending("notes.txt"))
      let fresh = try await art(
        "commit", "ds", "--fresh", "--add", "notes.txt=docs/notes.txt", "--json", in: folder)
      #expect(fresh.status == 0, "\(fresh.standardError)")
      let files = try await art("ls-files", "ds:v1", in: folder)
      #expect(files.lines == ["docs/notes.txt"])
      let show = try await art("show", "ds:v1", in: folder)
      #expect(show.standardOutput.contains("root:        data"))
      // The same tree again makes no version.
      let again = try await art(
        "commit", "ds", "--fresh", "--add", "notes.txt=docs/notes.txt", in: folder)
      #expect(again.standardOutput.contains("nothing changed"), "\(again.standardOutput)")
      let empty = try await art("commit", "ds", "--fresh", in: folder)
      #expect(empty.status == 64)
      #expect(
        empty.standardError.contains(
          "a draft from an empty tree needs at least one --add or --reference"))
      let both = try await art(
        "commit", "ds", "--fresh", "--from", "ds:v0", "--add", "notes.txt", in: folder)
      #expect(both.status == 64)
      #expect(try await art("log", "ds", in: folder).lines.count == 2)
    }
  }

  @Test func draftFoldersMergeAndNamesMayHoldEquals() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      for (path, text) in [
        ("data/images/a.jpg", "a"), ("b1/sub/x", "x"), ("b1/sub/z", "z1"), ("b2/sub/y", "y"),
        ("b2/sub/z", "z2"), ("more/b.jpg", "b"), ("hive/year=2023/p.parquet", "p"),
        ("k=v.txt", "kv"), ("hive/.git/config", "g"),
      ] {
        try writeFile(Array(text.utf8), to: folder.appending(path))
      }
      _ = try await art("commit", "ds", "data", in: folder)
      // Two folders at one place merge; the later of two files wins.
      let merged = try await art(
        "commit", "ds", "--add", "b1/sub=sub", "--add", "b2/sub=sub", in: folder)
      #expect(merged.status == 0, "\(merged.standardError)")
      #expect(
        try await art("ls-files", "ds", in: folder).lines == [
          "images/a.jpg", "sub/x", "sub/y", "sub/z",
        ])
      #expect(try await art("cat", "ds:sub/z", in: folder).standardOutput == "z2")
      // A folder added where the version has one merges into it.
      _ = try await art("commit", "ds", "--add", "more=images", in: folder)
      #expect(
        try await art("ls-files", "ds", "--path", "images", in: folder).lines == [
          "images/a.jpg", "images/b.jpg",
        ])
      // Removals go first, also below a merged folder; a file over a folder is refused.
      _ = try await art(
        "commit", "ds", "--remove", "images/b.jpg", "--add", "more=images", in: folder)
      #expect(
        try await art("ls-files", "ds", "--path", "images", in: folder).lines == [
          "images/a.jpg", "images/b.jpg",
        ])
      #expect(try await art("commit", "ds", "--add", "k=v.txt=images", in: folder).status == 64)
      // SRC=. puts a folder's contents at the top, .git left out; '=' in SRC and DEST.
      let hive = try await art(
        "commit", "parts", "--fresh", "--add", "hive=.", "--add", "k=v.txt=a=b.txt", in: folder)
      #expect(hive.status == 0, "\(hive.standardError)")
      #expect(
        try await art("ls-files", "parts", in: folder).lines == ["a=b.txt", "year=2023/p.parquet"])
      let store = try await art("commit", "ds", "--add", ".art/config=c", in: folder)
      #expect(store.status == 64)
      #expect(store.standardError.contains("inside .art"))
      // Nor through a link to it.
      try FileManager.default.createSymbolicLink(
        atPath: folder.appending("al").string, withDestinationPath: ".art")
      #expect(try await art("commit", "ds", "--add", "al/refs=y", in: folder).status == 64)
      // An empty folder, then something below it; a file where a folder merges.
      try FileManager.default.createDirectory(
        atPath: folder.appending("empty").string, withIntermediateDirectories: true)
      let below = try await art(
        "commit", "e", "--fresh", "--add", "empty=d", "--add", "k=v.txt=d/f", "--add", "b1=d",
        in: folder)
      #expect(below.status == 0, "\(below.standardError)")
      #expect(try await art("ls-files", "e", in: folder).lines == ["d/f", "d/sub/x", "d/sub/z"])
      _ = try await art("commit", "e", "--remove", "d", "--add", "k=v.txt=d", in: folder)
      let overFile = try await art("commit", "e", "--add", "b1=d", "--add", "b2=d", in: folder)
      #expect(overFile.status == 0, "\(overFile.standardError)")
      #expect(
        try await art("ls-files", "e", in: folder).lines == ["d/sub/x", "d/sub/y", "d/sub/z"])
      // A link where the version has a folder would drop its files: refused.
      try FileManager.default.createSymbolicLink(
        atPath: folder.appending("link").string, withDestinationPath: "b1")
      let link = try await art("commit", "e", "--add", "link=d", in: folder)
      #expect(link.status == 64)
      #expect(link.standardError.contains("symbolic link"))
      // --adds takes pairs from a JSON file, '=' and all.
      try writeFile(
        Array(#"[{"source": "k=v.txt", "path": "x=y"}, {"source": "b2", "path": "."}]"#.utf8),
        to: folder.appending("adds.json"))
      let listed = try await art("commit", "j", "--fresh", "--adds", "adds.json", in: folder)
      #expect(listed.status == 0, "\(listed.standardError)")
      #expect(try await art("ls-files", "j", in: folder).lines == ["sub/y", "sub/z", "x=y"])
      // Removals go first, also before a folder merged at the top.
      _ = try await art("commit", "j", "--remove", "sub", "--add", "b1=.", in: folder)
      #expect(try await art("ls-files", "j", in: folder).lines == ["sub/x", "sub/z", "x=y"])
      #expect(try await art("fsck", in: folder).status == 0)
    }
  }

  @Test func noCarryLeavesReferencesOutAndAllowEmptyDraftsOnlyRetell() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try writeFile(Array("a".utf8), to: folder.appending("data/a.txt"))
      try writeFile(Array("r".utf8), to: folder.appending("r.bin"))
      _ = try await art("commit", "ds", "data", in: folder)
      _ = try await art("commit", "ds", "--reference", "r.bin", in: folder)
      _ = try await art("commit", "ds", "data", "--no-carry", "--allow-empty", in: folder)
      #expect(try await art("ls-files", "ds", in: folder).lines == ["a.txt"])
      let retold = try await art(
        "commit", "ds", "--from", "ds:v0", "--allow-empty", "-m", "again", in: folder)
      #expect(retold.status == 0, "\(retold.standardError)")
      #expect(try await art("log", "ds", in: folder).lines.first?.hasSuffix("again") == true)
      #expect(try await art("commit", "ds", "--from", "ds:v0", in: folder).status == 64)
      #expect(
        try await art("commit", "ds", "--add", "r.bin=r", "--no-carry", in: folder).status == 64)
      // With only --reference, --no-carry still snapshots the folder.
      try writeFile(Array("b".utf8), to: folder.appending("data/b.txt"))
      _ = try await art("commit", "ds", "--no-carry", "--reference", "r.bin=refs/r", in: folder)
      #expect(
        try await art("ls-files", "ds", in: folder).lines == [
          "a.txt", "b.txt", "refs/r -> file://\(folder.string)/r.bin",
        ])
      // A worker may give its root folder itself.
      let upsert = try await art(
        "upsert", "up", "--distributed-id", "d", "data", "--root", "data", in: folder)
      #expect(upsert.status == 0, "\(upsert.standardError)")
      _ = try await art("finish", "up", "--distributed-id", "d", in: folder)
      #expect(try await art("ls-files", "up", in: folder).lines == ["a.txt", "b.txt"])
    }
  }

  @Test func removeTakesAFullVersionID() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeDataset(folder)
      _ = try await art("commit", "ds", "data", in: folder)
      let id = try await art("rev-parse", "ds", in: folder).lines[0]
      let removed = try await art("rm", id, in: folder)
      #expect(removed.status == 0, "\(removed.standardError)")
      #expect(try await art("show", id, in: folder).status == 1)
      // A bare name is still refused, hex digits or not.
      _ = try await art("commit", "cafe", "data", in: folder)
      #expect(try await art("rm", "cafe", in: folder).status == 64)
    }
  }

  @Test func damagedRefsFileIsReported() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeDataset(folder)
      _ = try await art("commit", "ds", "data", in: folder)
      var refs = try readFile(folder.appending(".art/refs"))
      refs[20] ^= 1
      try FileManager.default.removeItem(atPath: folder.appending(".art/refs").string)
      try writeFile(refs, to: folder.appending(".art/refs"))
      let log = try await art("log", in: folder)
      #expect(log.status == 2)
      #expect(log.standardError.contains("refs' is damaged"))
      #expect(log.standardError.contains("refs.prev"))
    }
  }
}
