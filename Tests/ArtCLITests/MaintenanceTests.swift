import ArtCore
import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// gc, fsck, repack, du and ttl, run in process (the concurrency of gc and
/// commit with real processes).
@Suite("Maintenance, in process")
struct MaintenanceTests {
  /// Runs art in process in `folder` (see ``artInProcess(_:in:clockAhead:)``).
  func art(_ arguments: String..., in folder: FilePath) async throws -> ProcessResult {
    await artInProcess(arguments, in: folder)
  }

  /// Commits `versions` versions of `data/`: 40 files, 10 of them rewritten
  /// each time, plus one 1.5 MB file (chunked) replaced each time, and keeps
  /// a copy of each version in `copies/vN`.
  func makeHistory(_ folder: FilePath, versions: Int, name: String = "ds", type: String = "dataset")
    throws
  {
    for i in 0..<40 {
      try writeFile(.text(count: 2000 + i, seed: UInt64(i)), to: folder.appending("data/f\(i).csv"))
    }
    for version in 0..<versions {
      if version > 0 {
        for i in 0..<10 {
          try writeFile(
            .text(count: 1500 + i, seed: UInt64(1000 * version + i)),
            to: folder.appending("data/f\((version * 7 + i) % 40).csv"))
        }
      }
      try writeFile(
        .random(count: 1_500_000, seed: UInt64(version)), to: folder.appending("data/model.bin"))
      let commit = try ArtProcess.run(["commit", name, "data", "--type", type, "-q"], in: folder)
      #expect(commit.status == 0, "\(commit.standardError)")
      try FileManager.default.createDirectory(
        atPath: folder.appending("copies").string, withIntermediateDirectories: true)
      _ = try ArtProcess.runTool(
        "/bin/cp", ["-a", "data", "copies/\(name)-v\(version)"], in: folder)
    }
  }

  /// Checks out `spec` into a fresh folder and compares it with `copy`.
  func expectCheckout(_ spec: String, equals copy: String, in folder: FilePath) async throws {
    let out = "out-\(UUID().uuidString)"
    let checkout = try await art("checkout", spec, "--to", out, "-q", in: folder)
    #expect(checkout.status == 0, "\(spec): \(checkout.standardError)")
    let diff = try ArtProcess.runTool("/usr/bin/diff", ["-r", out, copy], in: folder)
    #expect(diff.status == 0, "\(spec) differs from \(copy): \(diff.standardOutput)")
  }

  func packFiles(_ folder: FilePath) throws -> [String] {
    try FileManager.default.contentsOfDirectory(
      atPath: folder.appending(".art/objects/packs").string
    ).sorted()
  }

  @Test func gcKeepsByPolicyAndReclaims() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeHistory(folder, versions: 6)
      _ = try await art("alias", "set", "ds:v1", "production", in: folder)

      let dry = try await art(
        "gc", "--keep-last", "2", "--dry-run", "--explain", "--grace", "0s", in: folder)
      #expect(dry.status == 0, "\(dry.standardError)")
      #expect(dry.lines.contains { $0.hasPrefix("keep ds:v1 ") && $0.contains("production") })
      #expect(dry.lines.contains { $0.hasPrefix("keep ds:v5 ") && $0.contains("latest") })
      #expect(dry.lines.contains { $0.hasPrefix("keep ds:v4 ") && $0.contains("newest 2") })
      #expect(dry.lines.filter { $0.hasPrefix("drop ") }.count == 3)
      #expect(dry.standardOutput.contains("would drop 3 versions of 6"))
      #expect(try await art("log", "ds", in: folder).lines.count == 6, "dry run changed nothing")

      // Rewrite any pack with dead bytes, so everything dead goes.
      let config = folder.appending(".art/config")
      try writeFile(try readFile(config) + Array("[gc]\n\trepackThreshold = 1\n".utf8), to: config)
      let gc = try await art("gc", "--keep-last", "2", "--grace", "0s", in: folder)
      #expect(gc.status == 0, "\(gc.standardError)")
      #expect(gc.standardOutput.contains("dropped 3 versions of 6"), "\(gc.standardOutput)")
      #expect(!gc.standardOutput.contains("reclaimed 0 B"))
      let log = try await art("log", "ds", in: folder)
      #expect(log.lines.map { String($0.prefix(2)) } == ["v5", "v4", "v1"])
      let fsck = try await art("fsck", "--full", "--json", in: folder)
      #expect(fsck.status == 0, "\(fsck.standardOutput)")
      let json =
        try JSONSerialization.jsonObject(with: Data(fsck.standardOutputBytes)) as? [String: Any]
      #expect(json?["danglingObjects"] as? Int == 0)
      for version in [1, 4, 5] {
        try await expectCheckout("ds:v\(version)", equals: "copies/ds-v\(version)", in: folder)
      }
      // Numbers are never reused.
      try writeFile(Array("x".utf8), to: folder.appending("data/new.csv"))
      #expect(try await art("commit", "ds", in: folder).lines.first?.hasPrefix("ds:v6") == true)
    }
  }

  /// gc keeps its mark and walks only versions new since.
  ///
  /// The mark is `.art/state/gc-mark`. Once a version in it is gone, gc
  /// walks them all again, so what only that version held is reclaimed. A
  /// damaged mark is ignored, and a walk that met missing objects saves none.
  /// A version removed here after a push is kept by gc (a tracking ref
  /// names it), so fsck does not call its objects dangling either.
  @Test func fsckAgreesWithGcAboutVersionsTrackingRefsName() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try writeFile(Array("one\n".utf8), to: folder.appending("data/a.txt"))
      #expect(try await art("commit", "ds", "data", in: folder).status == 0)
      let remote = folder.appending("remote").string
      #expect(try await art("remote", "add", "origin", remote, in: folder).status == 0)
      #expect(try await art("push", "origin", in: folder).status == 0)
      try writeFile(Array("two\n".utf8), to: folder.appending("data/a.txt"))
      #expect(try await art("commit", "ds", "data", in: folder).status == 0)
      #expect(try await art("rm", "ds:v0", in: folder).status == 0)
      let fsck = try await art("fsck", in: folder)
      #expect(
        fsck.status == 0 && !fsck.standardOutput.contains("dangling"), "\(fsck.standardOutput)")
      let gc = try await art("gc", "--grace", "0s", "--json", in: folder)
      #expect(gc.standardOutput.contains("\"bytesReclaimed\" : 0"), "\(gc.standardOutput)")
    }
  }

  /// A version a tracking ref names keeps its tree when it is also an input
  /// named alone: the import marks its record only, which must not stop
  /// the walk of the tree fetched under it.
  @Test func aFetchedVersionThatIsAlsoAnInputKeepsItsTree() async throws {
    try await withTemporaryDirectory { folder in
      let (a, b) = (folder.appending("a"), folder.appending("b"))
      let remote = folder.appending("remote").string
      for repository in [a, b] {
        #expect(try await art("init", in: repository).status == 0)
        #expect(try await art("remote", "add", "origin", remote, in: repository).status == 0)
      }
      try writeFile(.text(count: 200_000, seed: 1), to: a.appending("data/x.csv"))
      #expect(try await art("commit", "ds", "data", "-q", in: a).status == 0)
      #expect(try await art("push", "origin", in: a).status == 0)
      try writeFile(Array("out\n".utf8), to: b.appending("out/y.txt"))
      let commit = try await art("commit", "model", "out", "--input", "origin/ds:v0", in: b)
      #expect(commit.status == 0, "\(commit.standardError)")
      #expect(try await art("fetch", "origin", in: b).status == 0)
      for _ in 0..<2 {
        let gc = try await art("gc", "--grace", "0s", "--json", in: b)
        #expect(gc.standardOutput.contains("\"bytesReclaimed\" : 0"), "\(gc.standardOutput)")
      }
      let fsck = try await art("fsck", "--full", in: b)
      #expect(
        fsck.status == 0 && !fsck.standardOutput.contains("dangling"), "\(fsck.standardOutput)")
    }
  }

  @Test func gcReusesItsMarkAndWalksAgainWhenAVersionGoes() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeHistory(folder, versions: 3)
      func gc(_ extra: String...) async throws -> [String: Any] {
        let result = await artInProcess(["gc", "--json", "--grace", "0s"] + extra, in: folder)
        #expect(result.status == 0, "\(result.standardError)")
        return try JSONSerialization.jsonObject(with: Data(result.standardOutputBytes))
          as? [String: Any] ?? [:]
      }
      let mark = folder.appending(".art/state/gc-mark")
      #expect(try await gc("--dry-run")["versionsFromMark"] as? Int == 0)
      #expect(FileManager.default.fileExists(atPath: mark.string))
      let again = try await gc("--dry-run")
      #expect(again["versionsFromMark"] as? Int == 3)
      try writeFile(Array("new\n".utf8), to: folder.appending("data/new.csv"))
      #expect(try await art("commit", "ds", "data", "-q", in: folder).status == 0)
      #expect(try await gc("--dry-run")["versionsFromMark"] as? Int == 3)
      #expect(try await gc("--dry-run")["versionsFromMark"] as? Int == 4)

      // ds:v0 goes: the mark, which holds its objects, no longer stands.
      #expect(try await art("rm", "ds:v0", in: folder).status == 0)
      let config = folder.appending(".art/config")
      try writeFile(try readFile(config) + Array("[gc]\n\trepackThreshold = 1\n".utf8), to: config)
      let collected = try await gc()
      #expect(collected["versionsFromMark"] as? Int == 0)
      #expect((collected["bytesReclaimed"] as? Int ?? 0) > 0, "\(collected)")
      let fsck = try await art("fsck", "--full", "--json", in: folder)
      #expect(fsck.status == 0, "\(fsck.standardOutput)")
      let report =
        try JSONSerialization.jsonObject(with: Data(fsck.standardOutputBytes)) as? [String: Any]
      #expect(report?["danglingObjects"] as? Int == 0, "\(fsck.standardOutput)")
      for version in [1, 2] {
        try await expectCheckout("ds:v\(version)", equals: "copies/ds-v\(version)", in: folder)
      }

      // A damaged head is a full walk, and the mark is written anew.
      var bytes = try readFile(mark)
      bytes[8 + 24 + 5] ^= 0xFF
      try writeFile(bytes, to: mark)
      #expect(try await gc("--dry-run")["versionsFromMark"] as? Int == 0)
      #expect(try await gc("--dry-run")["versionsFromMark"] as? Int == 3)

      // A pack's index gone, its pack left: the mark names objects no
      // longer stored, so gc walks, finds them missing and refuses; the
      // pack is not taken for a crashed writer's leftover.
      let packs = folder.appending(".art/objects/packs")
      let index = try #require(
        try FileManager.default.contentsOfDirectory(atPath: packs.string).first {
          $0.hasSuffix(".idx")
        })
      let indexBytes = try readFile(packs.appending(index))
      try FileManager.default.removeItem(atPath: packs.appending(index).string)
      let refused = try await art("gc", "--grace", "0s", in: folder)
      // Either the walk or, when the pack held version records, the
      // retention plan finds what is missing.
      #expect(refused.status == 2, "\(refused.standardOutput)")
      #expect(
        refused.standardError.contains("gc will not run")
          || refused.standardError.contains("is not in the repository"),
        "\(refused.standardError)")
      #expect(
        FileManager.default.fileExists(
          atPath: packs.appending(String(index.dropLast(4)) + ".pack").string))
      try writeFile(indexBytes, to: packs.appending(index))
      #expect(try await gc("--dry-run")["versionsFromMark"] as? Int == 3)

      // A pack lost that a kept version needs (ds:v0, which alone named
      // it, removed): a forced gc walks with problems and saves no mark.
      let other = folder.appending("other")
      try writeFile(.random(count: 100_000, seed: 7), to: other.appending("data/a"))
      #expect(try await art("init", in: other).status == 0)
      #expect(try await art("commit", "ds", "data", "-q", in: other).status == 0)
      let first = try packFiles(other)
      try writeFile(Array("b\n".utf8), to: other.appending("data/b"))
      #expect(try await art("commit", "ds", "data", "-q", in: other).status == 0)
      #expect(try await art("rm", "ds:v0", in: other).status == 0)
      for name in first {
        try FileManager.default.removeItem(
          atPath: other.appending(".art/objects/packs/\(name)").string)
      }
      #expect(try await art("gc", "--dry-run", in: other).status == 2)
      let forced = try await art("gc", "--dry-run", "--force", in: other)
      #expect(forced.status == 0, "\(forced.standardError)")
      #expect(!FileManager.default.fileExists(atPath: other.appending(".art/state/gc-mark").string))
    }
  }

  /// gc with its mark adds a segment to it and still finds new garbage.
  ///
  /// It walks only the new versions and adds a segment at the end of the
  /// mark instead of writing it whole. Garbage in a new pack still goes, and what
  /// a new version shares with marked ones stays. After 16 segments the
  /// mark is written whole again; a damaged last segment leaves the mark of
  /// the segments before it.
  @Test func gcAddsToItsMarkAndStillFindsNewGarbage() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeHistory(folder, versions: 3)
      func gc() async throws -> [String: Any] {
        let result = await artInProcess(["gc", "--json", "--grace", "0s"], in: folder)
        #expect(result.status == 0, "\(result.standardError)")
        return try JSONSerialization.jsonObject(with: Data(result.standardOutputBytes))
          as? [String: Any] ?? [:]
      }
      func commitChange(_ n: Int) async throws {
        try writeFile(
          .text(count: 3000, seed: UInt64(500 + n)), to: folder.appending("data/f\(n % 40).csv"))
        #expect(try await art("commit", "ds", "data", "-q", in: folder).status == 0)
      }
      let mark = folder.appending(".art/state/gc-mark")
      #expect(try await gc()["versionsFromMark"] as? Int == 0)
      var before = try readFile(mark)

      // A blob nothing names, in a pack of its own, and a new version.
      try writeFile(.random(count: 50_000, seed: 99), to: folder.appending("garbage.bin"))
      let hashed = try ArtProcess.run(["hash-object", "-w", "garbage.bin"], in: folder)
      let garbage = String(hashed.standardOutput.prefix(64))
      #expect(try await art("cat-object", "-t", garbage, in: folder).status == 0)
      try await commitChange(0)
      let collected = try await gc()
      #expect(collected["versionsFromMark"] as? Int == 3)
      #expect(collected["packsDeleted"] as? Int == 1, "\(collected)")
      #expect(try await art("cat-object", "-t", garbage, in: folder).status != 0)
      var after = try readFile(mark)
      #expect(after.count > before.count && Array(after.prefix(before.count)) == before)
      #expect(try await art("fsck", "--full", in: folder).status == 0)
      let diff = try await art("diff", "ds:v3", "data/", "--exit-code", in: folder)
      #expect(diff.status == 0, "\(diff.standardOutput)\(diff.standardError)")
      for version in 0..<3 {
        try await expectCheckout("ds:v\(version)", equals: "copies/ds-v\(version)", in: folder)
      }

      // Segments pile up to 16, then the mark is written whole.
      var rewritten = false
      for n in 1...16 {
        try await commitChange(n)
        before = after
        #expect(try await gc()["versionsFromMark"] as? Int == 3 + n)
        after = try readFile(mark)
        if Array(after.prefix(before.count)) != before { rewritten = true }
      }
      #expect(rewritten)
      #expect(try await gc()["versionsFromMark"] as? Int == 20)
      // Packs merged: the mark names packs that are gone, but every object
      // in it is found in the new one, so it still stands.
      let repack = try await art("repack", in: folder)
      #expect(repack.status == 0, "\(repack.standardError)")
      #expect(try await gc()["versionsFromMark"] as? Int == 20)

      // The last segment damaged: the segments before it stand, and the
      // mark is written whole again.
      try await commitChange(17)
      #expect(try await gc()["versionsFromMark"] as? Int == 20)
      var bytes = try readFile(mark)
      bytes[bytes.count - 3] ^= 0xFF
      try writeFile(bytes, to: mark)
      try await commitChange(18)
      #expect(try await gc()["versionsFromMark"] as? Int == 20)
      #expect(try await gc()["versionsFromMark"] as? Int == 22)
      #expect(try await art("fsck", "--full", in: folder).status == 0)
      let last = try await art("diff", "ds:v21", "data/", "--exit-code", in: folder)
      #expect(last.status == 0, "\(last.standardOutput)\(last.standardError)")

      // Every block of the first segment's objects damaged (its head
      // intact): the walk of a new version finds it, and gc decides again
      // without the mark before it deletes anything, then writes it anew.
      bytes = try readFile(mark)
      let counts = (0..<3).map { i in
        bytes[(8 + 8 * i)..<(16 + 8 * i)].reversed().reduce(0) { $0 << 8 | Int($1) }
      }
      let objectsStart =
        8 + 24 + 32 * counts[0] + 40 * counts[1] + 36 * ((counts[2] + 127) / 128) + 4
      for block in stride(from: objectsStart, to: objectsStart + 32 * counts[2], by: 4096) {
        bytes[block + 40] ^= 0x10
      }
      try writeFile(bytes, to: mark)
      try writeFile(.random(count: 40_000, seed: 98), to: folder.appending("garbage.bin"))
      #expect(try ArtProcess.run(["hash-object", "-w", "garbage.bin"], in: folder).status == 0)
      try await commitChange(19)
      let decidedAgain = try await gc()
      #expect(decidedAgain["versionsFromMark"] as? Int == 0, "\(decidedAgain)")
      #expect(decidedAgain["markDamaged"] as? Bool == true, "\(decidedAgain)")
      #expect(decidedAgain["packsDeleted"] as? Int == 1, "\(decidedAgain)")
      let fromNewMark = try await gc()
      #expect(fromNewMark["versionsFromMark"] as? Int == 23)
      #expect(fromNewMark["markDamaged"] as? Bool == false)
      #expect(try await art("fsck", "--full", in: folder).status == 0)
      for version in 0..<3 {
        try await expectCheckout("ds:v\(version)", equals: "copies/ds-v\(version)", in: folder)
      }
    }
  }

  /// What crashed writes left in `.art`, `.art/state` and the packs folder
  /// (a record cache, a mark, `refs.prev` being written, a commit's
  /// temporary pack) goes with gc once older than the grace period, and gc
  /// says how many files and bytes; younger ones, and files that only look
  /// alike, stay.
  @Test func gcRemovesWhatCrashedWritesLeftInState() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeHistory(folder, versions: 1)
      let leftovers = [
        "state/records.tmp-123-456", "state/gc-mark.tmp-7-8", "refs.prev.tmp-9-10",
        "objects/packs/tmp-99-1.pack",
      ].map { folder.appending(".art/\($0)") }
      let lookalikes = ["state/notes.tmp-x", "state/.tmp-1-2", "state/a.tmp-1-2-3"]
        .map { folder.appending(".art/\($0)") }
      for path in leftovers + lookalikes { try writeFile(Array("half".utf8), to: path) }
      try writeFile([UInt8](repeating: 1, count: 10_000), to: leftovers[3])
      // A killed push's scratch folder goes; a live process's stays.
      let deadScratch = folder.appending(".art/tmp-push-\(Int32.max)")
      let liveScratch = folder.appending(
        ".art/tmp-rows-\(ProcessInfo.processInfo.processIdentifier)")
      try writeFile([UInt8](repeating: 2, count: 5_000), to: deadScratch.appending("p/x.pack"))
      try writeFile([UInt8](repeating: 3, count: 7), to: liveScratch.appending("x"))
      func present(_ path: FilePath) -> Bool {
        FileManager.default.fileExists(atPath: path.string)
      }
      let young = try await art("gc", in: folder)
      #expect(young.status == 0 && !young.standardOutput.contains("leftover"))
      #expect(leftovers.allSatisfy(present))
      // count-objects counts them whatever their age.
      let counted = try await art("count-objects", "--json", in: folder)
      let counts = try #require(
        try JSONSerialization.jsonObject(with: Data(counted.standardOutputBytes))
          as? [String: Any])
      #expect(counts["temporaryFiles"] as? Int == 6, "\(counts)")
      #expect(counts["temporaryBytes"] as? Int == 3 * 4 + 10_000 + 5_007, "\(counts)")
      #expect(
        try await art("count-objects", in: folder).standardOutput.contains(
          "temporary files: 6, 15019 bytes"))
      let dry = try await art("gc", "--grace", "0s", "--dry-run", "--json", in: folder)
      let report = try #require(
        try JSONSerialization.jsonObject(with: Data(dry.standardOutputBytes)) as? [String: Any])
      #expect(report["temporaryFilesRemoved"] as? Int == 5)
      #expect(report["temporaryBytesRemoved"] as? Int == 3 * 4 + 10_000 + 5_000)
      #expect(leftovers.allSatisfy(present))
      let gc = try await art("gc", "--grace", "0s", in: folder)
      #expect(gc.status == 0)
      #expect(
        gc.standardOutput.contains("removed 5 leftover temporary files of interrupted commands ("),
        "\(gc.standardOutput)")
      #expect(!leftovers.contains(where: present))
      #expect(lookalikes.allSatisfy(present))
      #expect(!present(deadScratch) && present(liveScratch))
      try FileManager.default.removeItem(atPath: liveScratch.string)
      #expect(try await art("fsck", "--full", in: folder).status == 0)
      let none = try await art("count-objects", in: folder).standardOutput
      #expect(!none.contains("temporary files"), "\(none)")
    }
  }

  @Test func graceProtectsYoungPacksAndDefaultPolicyKeepsEverything() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeHistory(folder, versions: 3)
      _ = try await art("rm", "ds:v0", in: folder)
      let before = try packFiles(folder)
      // Default grace (1 hour): the packs are minutes old, so nothing goes.
      let gc = try await art("gc", in: folder)
      #expect(gc.status == 0, "\(gc.standardError)")
      #expect(gc.standardOutput.contains("dropped 0 versions of 2"))
      #expect(gc.standardOutput.contains("younger than the grace period"))
      #expect(try packFiles(folder) == before)
      #expect(try await art("log", "ds", in: folder).lines.count == 2)
      // What ds:v0 alone held is dangling until its pack ages past the grace.
      let fsck = try await art("fsck", "-v", in: folder)
      #expect(fsck.status == 0)
      #expect(fsck.lines.contains { $0.hasPrefix("dangling version ") && $0.contains(" in pack-") })
    }
  }

  @Test func ttlExpiresVersionsUnlessProtectedOrCleared() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try writeFile(Array("a".utf8), to: folder.appending("data/a"))
      _ = try await art("commit", "ck", "data", "--type", "checkpoint", "--ttl", "1s", in: folder)
      try writeFile(Array("b".utf8), to: folder.appending("data/a"))
      _ = try await art("commit", "ck", "--ttl", "1s", in: folder)
      try writeFile(Array("c".utf8), to: folder.appending("data/a"))
      _ = try await art("commit", "ck", in: folder)
      _ = try await art("alias", "set", "ck:v1", "best", in: folder)
      // A second and a half later, by the clock gc reads.
      let later: Int64 = 1_500
      let set = try await art("ttl", "set", "ck:v2", "1s", in: folder)
      #expect(set.status == 0, "\(set.standardError)")
      #expect(set.standardOutput.contains("ck:v2 expires"))
      // --name limits gc to other artifacts: nothing of ck goes, expired or not.
      let other = await artInProcess(
        "gc", "--dry-run", "--name", "other*", "--grace", "0s", in: folder, clockAhead: later)
      #expect(
        other.standardOutput.contains("would drop 0 versions of 3"), "\(other.standardOutput)")
      // v2 is latest and expired: it goes, and latest moves to v1, which
      // the protected alias best keeps although it expired too.
      let gc = await artInProcess("gc", "--explain", "--grace", "0s", in: folder, clockAhead: later)
      #expect(gc.lines.contains { $0.hasPrefix("drop ck:v0") && $0.contains("TTL expired") })
      #expect(gc.lines.contains { $0.hasPrefix("keep ck:v1") && $0.contains("best") })
      #expect(gc.lines.contains { $0.hasPrefix("drop ck:v2") && $0.contains("latest moves") })
      let log = try await art("log", "ck", in: folder)
      #expect(log.lines.count == 1 && log.lines[0].contains("latest"), "\(log.lines)")
      #expect(try await art("show", "ck:v1", in: folder).standardOutput.contains("expires:"))
      #expect(
        try await art("ttl", "set", "ck:v1", "none", in: folder).standardOutput.contains("never"))
      #expect(!(try await art("show", "ck:v1", in: folder).standardOutput.contains("expires:")))
      let bad = try await art("ttl", "set", "ck:v1", "soon", in: folder)
      #expect(bad.status == 64)
      #expect(bad.standardError.contains("'soon' is not a duration"))
    }
  }

  @Test func perTypePolicyFromConfig() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      let config = folder.appending(".art/config")
      try writeFile(
        try readFile(config) + Array("[gc \"checkpoint\"]\n\tkeepLast = 1\n".utf8), to: config)
      for i in 0..<3 {
        try writeFile(Array("ck \(i)".utf8), to: folder.appending("ck/w"))
        _ = try await art("commit", "model", "ck", "--type", "checkpoint", in: folder)
        try writeFile(Array("ds \(i)".utf8), to: folder.appending("ds/rows"))
        _ = try await art("commit", "table", "ds", "--type", "dataset", in: folder)
      }
      let gc = try await art("gc", "--dry-run", in: folder)
      #expect(gc.standardOutput.contains("would drop 2 versions of 6"), "\(gc.standardOutput)")
      #expect(gc.lines.contains("would drop model: v0-v1 (2 versions)"), "\(gc.standardOutput)")
      #expect(!gc.standardOutput.contains("would drop table"))
      // Flags override the config, --type limits them.
      let flags = try await art(
        "gc", "--dry-run", "--keep-last", "2", "--type", "dataset", in: folder)
      #expect(flags.lines.contains("would drop table: v0 (1 version)"), "\(flags.standardOutput)")
      #expect(!flags.standardOutput.contains("would drop model"))

      try writeFile(try readFile(config) + Array("[gc]\n\tkeepWithin = soon\n".utf8), to: config)
      let malformed = try await art("gc", "--dry-run", in: folder)
      #expect(malformed.status == 64)
      #expect(malformed.standardError.contains("keepWithin must be a duration"))
    }
  }

  @Test func gcKeepsInputsOfKeptVersions() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      for i in 0..<3 {
        try writeFile(.text(count: 5000, seed: UInt64(i)), to: folder.appending("raw/rows.csv"))
        _ = try await art("commit", "raw", "raw", "--type", "dataset", in: folder)
      }
      try writeFile(.text(count: 3000, seed: 9), to: folder.appending("clean/rows.csv"))
      let clean = try await art(
        "commit", "clean", "clean", "--input", "raw:v0", "--input", "raw:v1", "--job", "preprocess",
        in: folder)
      #expect(clean.status == 0, "\(clean.standardError)")
      let show = try await art("show", "clean", in: folder)
      #expect(show.standardOutput.contains("inputs:      raw:v0 "), "\(show.standardOutput)")
      #expect(show.standardOutput.contains("job:         preprocess"))
      let bad = try await art("commit", "clean", "--input", "raw:v7", "--allow-empty", in: folder)
      #expect(bad.status == 1)
      #expect(bad.standardError.contains("no version 'v7' of 'raw'"), "\(bad.standardError)")

      let gc = try await art("gc", "--keep-last", "1", "--explain", "--grace", "0s", in: folder)
      #expect(
        gc.lines.contains { $0.hasPrefix("keep raw:v0 ") && $0.contains("input of kept clean:v0") })
      #expect(
        gc.lines.contains { $0.hasPrefix("keep raw:v1 ") && $0.contains("input of kept clean:v0") })
      #expect(try await art("log", "raw", in: folder).lines.count == 3)
      let drop = try await art(
        "gc", "--keep-last", "1", "--drop-inputs", "--grace", "0s", in: folder)
      #expect(
        drop.standardOutput.contains("drop raw: v0-v1 (2 versions)"), "\(drop.standardOutput)")
      // The record keeps the ids; show says the inputs are gone.
      #expect(try await art("show", "clean", in: folder).standardOutput.contains("(removed)"))
      #expect(try await art("fsck", "--full", in: folder).status == 0)
    }
  }

  @Test func lineageGoesUpAndDown() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      func commit(_ name: String, _ extra: [String]) throws {
        try writeFile(Array("\(name)\n".utf8), to: folder.appending("\(name)/part"))
        let result = try ArtProcess.run(["commit", name, name, "-q"] + extra, in: folder)
        #expect(result.status == 0, "\(result.standardError)")
      }
      try commit("raw", [])
      try commit("clean", ["--input", "raw", "--job", "preprocess"])
      try commit("split", ["--input", "clean:latest", "--job", "split"])
      try commit(
        "model", ["--input", "split:v0", "--input", "raw:v0", "--job", "train", "--run", "r-17"])
      #expect(
        try await art("show", "model", in: folder).standardOutput.contains("run:         r-17"))

      let up = try await art("lineage", "model", in: folder)
      #expect(up.lines.first?.hasPrefix("model:v0 ") == true)
      #expect(up.lines.first?.hasSuffix("[train]") == true)
      #expect(
        Array(up.lines.dropFirst()) == [
          "  ← split:v0 [split]", "    ← clean:v0 [preprocess]", "      ← raw:v0", "  ← raw:v0",
        ], "\(up.standardOutput)")
      let down = try await art("lineage", "raw:v0", "--downstream", "--depth", "1", in: folder)
      #expect(
        Array(down.lines.dropFirst()) == ["  → clean:v0 [preprocess]", "  → model:v0 [train]"])
      let json = try await art("lineage", "clean", "--format", "json", in: folder)
      let graph =
        try JSONSerialization.jsonObject(with: Data(json.standardOutputBytes)) as? [String: Any]
      let edges = (graph?["edges"] as? [[String: String]] ?? []).map {
        "\($0["from"] ?? "")>\($0["to"] ?? "")"
      }
      #expect(Set(edges) == ["raw:v0>clean:v0", "clean:v0>split:v0", "split:v0>model:v0"])
      let dot = try await art("lineage", "model", "--format", "dot", in: folder)
      #expect(dot.standardOutput.hasPrefix("digraph lineage {"))
      #expect(dot.standardOutput.contains("\"split:v0\" -> \"model:v0\" [label=\"train\"];"))
      if FileManager.default.isExecutableFile(atPath: "/usr/bin/dot") {
        let rendered = try ArtProcess.runTool(
          "/usr/bin/dot", ["-Tsvg"], in: folder, input: dot.standardOutputBytes)
        #expect(rendered.status == 0, "\(rendered.standardError)")
      }
      #expect(
        try await art("show", "raw", in: folder).standardOutput.contains(
          "made into:   clean:v0, model:v0"))
      // "made into" reads each record once into .art/state/lineage: a
      // version made since is added, and a damaged or deleted file is made
      // again.
      let inputs = folder.appending(".art/state/lineage")
      #expect(FileManager.default.fileExists(atPath: inputs.string))
      try commit("eval", ["--input", "raw:v0"])
      let madeInto = "made into:   clean:v0, eval:v0, model:v0"
      #expect(try await art("show", "raw", in: folder).standardOutput.contains(madeInto))
      try writeFile(Array("# art-lineage v1\nnot hex\n".utf8), to: inputs)
      #expect(try await art("show", "raw", in: folder).standardOutput.contains(madeInto))
      #expect(try readFile(inputs).count > 100)
      try FileManager.default.removeItem(atPath: inputs.string)
      #expect(try await art("show", "raw", in: folder).standardOutput.contains(madeInto))
      #expect(
        try await art("lineage", "raw", "--upstream", "--downstream", in: folder).status == 64)
      #expect(try await art("lineage", "nope", in: folder).status == 1)
    }
  }

  @Test func fsckNamesDamageAndGcRefusesIt() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeHistory(folder, versions: 2)
      #expect(try await art("fsck", "--full", in: folder).standardOutput.contains("clean"))
      let packs = try packFiles(folder).filter { $0.hasSuffix(".pack") }
      let first = folder.appending(".art/objects/packs/" + packs[0])

      // A flipped byte in the middle of a pack.
      var bytes = try readFile(first)
      bytes[bytes.count / 2] ^= 0x01
      try writeFile(bytes, to: first)
      let flipped = try await art("fsck", "--full", in: folder)
      #expect(flipped.status == 2)
      #expect(flipped.standardOutput.contains(packs[0]), "\(flipped.standardOutput)")
      #expect(flipped.standardOutput.contains("CRC-32") || flipped.standardOutput.contains("hash"))
      bytes[bytes.count / 2] ^= 0x01
      try writeFile(bytes, to: first)

      // A deleted pack: its objects are missing, named with where they are needed.
      let moved = folder.appending("moved.pack")
      try FileManager.default.moveItem(atPath: first.string, toPath: moved.string)
      let missing = try await art("fsck", in: folder)
      #expect(missing.status == 2)
      #expect(
        missing.standardOutput.contains("the pack is missing")
          || missing.standardOutput.contains("missing"))
      let gc = try await art("gc", "--grace", "0s", in: folder)
      #expect(gc.status == 2)
      #expect(gc.standardError.contains("gc will not run"))
      try FileManager.default.moveItem(atPath: moved.string, toPath: first.string)

      // A truncated index.
      let index = folder.appending(
        ".art/objects/packs/" + packs[0].replacingOccurrences(of: ".pack", with: ".idx"))
      let indexBytes = try readFile(index)
      try writeFile(Array(indexBytes.prefix(indexBytes.count - 10)), to: index)
      let truncated = try await art("fsck", in: folder)
      #expect(truncated.status == 2)
      #expect(truncated.standardOutput.contains(".idx"), "\(truncated.standardOutput)")
      #expect(try await art("gc", "--grace", "0s", in: folder).status == 2)
      try writeFile(indexBytes, to: index)

      // A garbled refs line.
      let refs = folder.appending(".art/refs")
      let refsBytes = try readFile(refs)
      var text = String(decoding: refsBytes, as: UTF8.self)
      text = text.replacingOccurrences(of: "ds:v1 ", with: "ds:v1 zz")
      try writeFile(Array(text.utf8), to: refs)
      let garbled = try await art("fsck", in: folder)
      #expect(garbled.status == 2)
      #expect(garbled.standardOutput.contains("refs"), "\(garbled.standardOutput)")
      try writeFile(refsBytes, to: refs)
      #expect(try await art("fsck", "--full", in: folder).status == 0)
    }
  }

  @Test func repackMergesAndRecompresses() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeHistory(folder, versions: 4)
      #expect(try packFiles(folder).count == 8)
      let merged = try await art("repack", in: folder)
      #expect(merged.status == 0, "\(merged.standardError)")
      #expect(merged.standardOutput.contains("4 packs"))
      #expect(try packFiles(folder).count == 2)
      let zlib = try await art(
        "repack", "--compression", "zlib", "--max-pack-size", "1MiB", in: folder)
      #expect(zlib.status == 0, "\(zlib.standardError)")
      #expect(try await art("fsck", "--full", in: folder).status == 0)
      let verify = try await art("verify-pack", "-v", in: folder)
      #expect(verify.standardOutput.contains("zlib"), "\(verify.standardOutput.prefix(400))")
      for version in 0..<4 {
        try await expectCheckout("ds:v\(version)", equals: "copies/ds-v\(version)", in: folder)
      }
      #expect(try await art("repack", "--max-pack-size", "lots", in: folder).status == 64)
    }
  }

  /// A repository kept on lz4 has format 6 once it holds a pack (every
  /// pack is of format 2); a zstd repack stores less and reads back the
  /// same files.
  @Test func zstdRepackRaisesTheFormatAndStoresLess() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      let config = folder.appending(".art/config")
      let text = String(decoding: try readFile(config), as: UTF8.self)
      try writeFile(
        Array(text.replacingOccurrences(of: "compression = zstd", with: "compression = lz4").utf8),
        to: config)
      try makeHistory(folder, versions: 3)
      func configText() throws -> String { String(decoding: try readFile(config), as: UTF8.self) }
      #expect(try configText().contains("format = 6"))
      let lz4 = try await art("count-objects", "--json", in: folder)
      let zstd = try await art("repack", "--compression", "zstd:19", in: folder)
      #expect(zstd.status == 0, "\(zstd.standardError)")
      #expect(try configText().contains("format = 6"))
      #expect(try configText().contains("compression = lz4"))
      let after = try await art("count-objects", "--json", in: folder)
      func stored(_ output: String) throws -> Int {
        let json = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        return json?["storedBytes"] as? Int ?? 0
      }
      #expect(try stored(after.standardOutput) < stored(lz4.standardOutput))
      let verify = try await art("verify-pack", "-v", in: folder)
      #expect(verify.standardOutput.contains("zstd"), "\(verify.standardOutput.prefix(400))")
      #expect(try await art("fsck", "--full", in: folder).status == 0)
      for version in 0..<3 {
        try await expectCheckout("ds:v\(version)", equals: "copies/ds-v\(version)", in: folder)
      }
      let bad = try await art("repack", "--compression", "zstd:99", in: folder)
      #expect(bad.status == 64 && bad.standardError.contains("zstd level 99"))
    }
  }

  @Test func smallPacksAreMergedAfterCommits() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      let config = folder.appending(".art/config")
      try writeFile(try readFile(config) + Array("[pack]\n\tautoMerge = 4\n".utf8), to: config)
      var notes: [String] = []
      for i in 0..<6 {
        try writeFile(Array("version \(i)\n".utf8), to: folder.appending("data/x.csv"))
        let commit = try await art("commit", "ds", "data", in: folder)
        #expect(commit.status == 0, "\(commit.standardError)")
        notes.append(commit.standardError)
      }
      #expect(notes[3].contains("merged 4 small packs into 1"), "\(notes)")
      // 1 merged pack + 2 packs from the last two commits, each a pack + index.
      #expect(try packFiles(folder).count == 6)
      #expect(try await art("fsck", "--full", in: folder).status == 0)
      for i in 0..<6 {
        let out = try await art("checkout", "ds:v\(i)", "--to", "out\(i)", "-q", in: folder)
        #expect(out.status == 0)
        #expect(try readFile(folder.appending("out\(i)/x.csv")) == Array("version \(i)\n".utf8))
      }
    }
  }

  @Test func duSplitsUniqueAndShared() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeHistory(folder, versions: 3)
      let du = try await art("du", "ds", "--json", in: folder)
      #expect(du.status == 0, "\(du.standardError)")
      let json =
        try JSONSerialization.jsonObject(with: Data(du.standardOutputBytes)) as? [String: Any]
      let versions = json?["versions"] as? [[String: Any]] ?? []
      #expect(versions.count == 3)
      for version in versions {
        // Each version has its own 1.5 MB random model: unique.
        #expect((version["unique"] as? Int ?? 0) > 1_500_000)
        // The 30 unchanged CSV files are shared (stored bytes: zstd keeps
        // about a third of their 1-2 KB each).
        #expect((version["shared"] as? Int ?? 0) > 30 * 300)
      }
      #expect((json?["deduplicationRatio"] as? Double ?? 0) > 1)
      let text = try await art("du", in: folder)
      #expect(text.standardOutput.contains("dedup"))
      #expect(try await art("du", "nope", in: folder).status != 0)
    }
  }

  @Test func gcWaitsForCommitsAndCommitsWaitForGc() async throws {
    try await withTemporaryDirectory { folder in
      _ = try await art("init", in: folder)
      try makeHistory(folder, versions: 3)
      _ = try await art("rm", "ds:v0", in: folder)
      // While a command holds the shared lock, as every commit does, gc
      // cannot start: it says the repository is busy.
      do {
        let holder = try Repository(
          root: folder,
          lock: Repository.LockRequest(
            .shared, command: "art commit", timeout: .seconds(0), report: { _ in }))
        let busy = try await art("gc", "--grace", "0s", "--lock-timeout", "0", in: folder)
        #expect(busy.status == 1, "\(busy.standardError)")
        #expect(busy.standardError.contains("busy"), "\(busy.standardError)")
        withExtendedLifetime(holder) {}
      }
      // A big commit (seconds in a debug build) and a gc started during it.
      try writeFile(.random(count: 60_000_000, seed: 5), to: folder.appending("data/big.bin"))
      let commit = try ArtProcess.start(["commit", "ds", "-m", "big"], in: folder)
      // Wait until the commit holds the repository lock (a FLOCK on the
      // inode of .art/lock in /proc/locks), however slow the machine.
      let inode =
        try FileManager.default.attributesOfItem(
          atPath: folder.appending(".art/lock").string)[.systemFileNumber] as? Int ?? -1
      for _ in 0..<400 where commit.isRunning {
        let locks = (try? String(contentsOfFile: "/proc/locks", encoding: .utf8)) ?? ""
        if locks.split(separator: "\n").contains(where: {
          $0.contains("FLOCK") && $0.contains(":\(inode) ")
        }) {
          break
        }
        try await Task.sleep(for: .milliseconds(25))
      }
      let gc = try await art("gc", "--grace", "0s", in: folder)
      #expect(gc.status == 0, "\(gc.standardError)")
      commit.waitUntilExit()
      #expect(commit.terminationStatus == 0)
      #expect(try await art("fsck", "--full", in: folder).status == 0)
      let latest = try await art("checkout", "ds", "--to", "latest", "-q", in: folder)
      #expect(latest.status == 0)
      #expect(
        try ArtProcess.runTool("/usr/bin/diff", ["-r", "latest", "data"], in: folder).status == 0)
      for version in [1, 2] {
        try await expectCheckout("ds:v\(version)", equals: "copies/ds-v\(version)", in: folder)
      }
    }
  }

  /// Whether this process may mount a tmpfs (root, with mount rights).
  static let canMountTmpfs: Bool = {
    guard getuid() == 0 else { return false }
    let probe = FileManager.default.temporaryDirectory.appendingPathComponent(
      "art-mount-probe-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: probe) }
    guard
      let mounted = try? ArtProcess.runTool(
        "/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe.path], in: FilePath("/")),
      mounted.status == 0
    else { return false }
    _ = try? ArtProcess.runTool("/bin/umount", [probe.path], in: FilePath("/"))
    return true
  }()

  @Test(.enabled(if: canMountTmpfs, "needs root to mount a small tmpfs"))
  func aFullDiskFailsCommitAndGcCleanly() async throws {
    try await withTemporaryDirectory { outer in
      let folder = outer.appending("disk")
      try FileManager.default.createDirectory(
        atPath: folder.string, withIntermediateDirectories: true)
      let mount = try ArtProcess.runTool(
        "/bin/mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", folder.string], in: outer)
      #expect(mount.status == 0)
      defer { _ = try? ArtProcess.runTool("/bin/umount", ["-l", folder.string], in: outer) }
      _ = try await art("init", in: folder)
      try writeFile(.random(count: 3_000_000, seed: 1), to: folder.appending("data/a.bin"))
      try writeFile(.random(count: 1_000_000, seed: 2), to: folder.appending("data/b.bin"))
      #expect(try await art("commit", "ds", "data", "-q", in: folder).status == 0)
      try writeFile(.random(count: 3_000_000, seed: 3), to: folder.appending("data/a.bin"))
      #expect(try await art("commit", "ds", "-q", in: folder).status == 0)
      // The next change is on disk; then the disk is filled up.
      try writeFile(.random(count: 2_000_000, seed: 4), to: folder.appending("data/c.bin"))
      _ = try ArtProcess.runTool(
        "/bin/dd", ["if=/dev/zero", "of=filler", "bs=64k"], in: folder)
      let refs = try readFile(folder.appending(".art/refs"))
      let packs = try packFiles(folder)

      let commit = try await art("commit", "ds", in: folder)
      #expect(commit.status == 1)
      #expect(commit.standardError.contains("No space left on device"), "\(commit.standardError)")
      #expect(commit.standardError.contains("free some disk space"))
      #expect(try readFile(folder.appending(".art/refs")) == refs)
      #expect(try packFiles(folder) == packs)

      // gc would drop v0 and rewrite its pack (b.bin still live): no room.
      let gc = try await art("gc", "--keep-last", "1", "--grace", "0s", in: folder)
      #expect(gc.status == 1, "\(gc.standardOutput)")
      #expect(gc.standardError.contains("No space left on device"), "\(gc.standardError)")
      #expect(try readFile(folder.appending(".art/refs")) == refs)
      #expect(try packFiles(folder) == packs)
      #expect(try await art("fsck", "--full", in: folder).status == 0)
      // The refs lock is made, but its pid cannot be written: the command
      // fails and leaves no lock for the next one to wait on.
      let alias = try await art("alias", "set", "ds:v0", "best", in: folder)
      #expect(alias.status == 1, "\(alias.standardError)")
      #expect(!FileManager.default.fileExists(atPath: folder.appending(".art/refs.lock").string))

      try FileManager.default.removeItem(atPath: folder.appending("filler").string)
      #expect(try await art("gc", "--keep-last", "1", "--grace", "0s", in: folder).status == 0)
      #expect(try await art("commit", "ds", "-q", in: folder).status == 0)
      #expect(try await art("fsck", "--full", in: folder).status == 0)
    }
  }
}
