import ArtTestSupport
import Foundation
import SystemPackage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `kill -9` at random moments of a commit: every earlier version must stay
/// readable and check out bit for bit.
@Suite("art binary, crashes")
struct CrashTests {
  @Test(.tags(.large))
  func killDuringCommitLosesNothingEarlier() async throws {
    try await withTemporaryDirectory { folder in
      #expect(try ArtProcess.run(["init"], in: folder).status == 0)
      for i in 0..<20 {
        try writeFile(
          .text(count: 20_000, seed: UInt64(i)), to: folder.appending("data/small/f\(i).csv"))
      }
      #expect(try ArtProcess.run(["commit", "ds", "data"], in: folder).status == 0)
      #expect(try ArtProcess.runTool("/bin/cp", ["-a", "data", "v0"], in: folder).status == 0)
      // A large change for the commits that get killed.
      try writeFile(.random(count: 150_000_000, seed: 9), to: folder.appending("data/big.bin"))

      let seed = UInt64.random(in: 0...UInt64.max)
      print("CrashTests seed \(seed)")
      var generator = SplitMix64(seed: seed)
      for round in 0..<6 {
        let delay = 20 + Int(generator.next() % 800)
        let process = try ArtProcess.start(["commit", "ds", "-m", "round \(round)"], in: folder)
        try await Task.sleep(for: .milliseconds(delay))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // A kill can land before, during or after the refs write; a lock it
        // leaves is cleared by the next command that takes it.

        let verify = try ArtProcess.run(["verify-pack"], in: folder)
        #expect(verify.status == 0, "seed \(seed) round \(round): \(verify.standardError)")
        let log = try ArtProcess.run(["log", "ds"], in: folder)
        #expect(log.status == 0, "seed \(seed) round \(round): \(log.standardError)")
        let out = "restored-\(round)"
        let checkout = try ArtProcess.run(["checkout", "ds:v0", "--to", out], in: folder)
        #expect(checkout.status == 0, "seed \(seed) round \(round): \(checkout.standardError)")
        let diff = try ArtProcess.runTool("/usr/bin/diff", ["-r", out, "v0"], in: folder)
        #expect(diff.status == 0, "seed \(seed) round \(round), killed after \(delay) ms")
      }
      // After the crashes a commit still works and the result checks out.
      let commit = try ArtProcess.run(["commit", "ds", "-m", "after"], in: folder)
      #expect(commit.status == 0, "\(commit.standardError)")
      let latest = try ArtProcess.run(["checkout", "ds", "--to", "latest"], in: folder)
      #expect(latest.status == 0)
      #expect(
        try ArtProcess.runTool("/usr/bin/diff", ["-r", "latest", "data"], in: folder).status == 0)
    }
  }

  /// 50 rounds of commit, gc and repack killed at a random moment.
  ///
  /// After
  /// each: `fsck --full` is clean, `latest` and `production` survive, and
  /// every version that existed before and is still listed checks out bit
  /// for bit. The seed is printed; `ART_CRASH_SEED` replays a run.
  @Test(.tags(.large))
  func killDuringCommitGcAndRepackKeepsEveryVersion() async throws {
    try await withTemporaryDirectory { folder in
      func art(_ arguments: [String]) throws -> ProcessResult {
        try ArtProcess.run(arguments, in: folder)
      }
      #expect(try art(["init"]).status == 0)
      let config = folder.appending(".art/config")
      try writeFile(try readFile(config) + Array("[gc]\n\trepackThreshold = 1\n".utf8), to: config)
      for i in 0..<30 {
        try writeFile(
          .text(count: 3000 + i, seed: UInt64(i)), to: folder.appending("data/f\(i).csv"))
      }
      let seed =
        ProcessInfo.processInfo.environment["ART_CRASH_SEED"].flatMap { UInt64($0) }
        ?? UInt64.random(in: 0...UInt64.max)
      print("CrashTests seed \(seed) (replay with ART_CRASH_SEED=\(seed))")
      var generator = SplitMix64(seed: seed)
      /// Copies of the data of every version made, by label.
      var copies: [String: String] = [:]
      func versions() throws -> [String] {
        try art(["log", "ds", "--json"]).standardOutput.split(separator: "\"version\" : \"")
          .dropFirst().map { "ds:" + $0.prefix { $0 != "\"" } }
      }
      func change(_ round: Int) throws {
        try writeFile(
          .random(count: 20_000_000, seed: generator.next()), to: folder.appending("data/big.bin"))
        for i in 0..<3 {
          try writeFile(
            .text(count: 2000, seed: generator.next()),
            to: folder.appending("data/f\((round * 3 + i) % 30).csv"))
        }
      }
      func recordNewVersions(_ before: [String], _ round: Int) throws {
        for label in try versions() where !before.contains(label) && copies[label] == nil {
          let copy = "copies/\(label.replacingOccurrences(of: ":", with: "-"))"
          _ = try ArtProcess.runTool("/bin/mkdir", ["-p", "copies"], in: folder)
          _ = try ArtProcess.runTool("/bin/cp", ["-a", "data", copy], in: folder)
          copies[label] = copy
        }
      }
      for round in 0..<3 {
        try change(round)
        #expect(try art(["commit", "ds", "data", "-q"]).status == 0)
        try recordNewVersions([], round)
      }
      #expect(try art(["alias", "set", "ds:v0", "production"]).status == 0)

      for round in 0..<50 {
        let operation = Int(generator.next() % 3)
        let arguments: [String]
        switch operation {
        case 0:
          try change(round)
          arguments = ["commit", "ds", "-q", "-m", "round \(round)"]
        case 1:
          arguments = ["gc", "--keep-last", "3", "--grace", "0s"]
        default:
          arguments = ["repack", "--compression", ["zlib", "lz4", "zstd:19"][round % 3]]
        }
        let before = try versions()
        let delay = Int(generator.next() % 700)
        let process = try ArtProcess.start(arguments, in: folder)
        try await Task.sleep(for: .milliseconds(delay))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let context =
          "seed \(seed) round \(round): \(arguments.joined(separator: " ")) killed after \(delay) ms"

        let fsck = try art(["fsck", "--full"])
        #expect(fsck.status == 0, "\(context): \(fsck.standardOutput) \(fsck.standardError)")
        let after = try versions()
        #expect(after.contains("ds:v0"), "\(context): production version lost")
        if operation != 1 {
          #expect(Set(before).isSubset(of: Set(after)), "\(context): \(before) → \(after)")
        }
        // A commit that got through made a version of the current data.
        if operation == 0 { try recordNewVersions(before, round) }
        for label in after where before.contains(label) {
          guard let copy = copies[label] else { continue }
          let out = "out-\(round)-\(label.replacingOccurrences(of: ":", with: "-"))"
          let checkout = try art(["checkout", label, "--to", out, "-q"])
          #expect(checkout.status == 0, "\(context): \(label): \(checkout.standardError)")
          let diff = try ArtProcess.runTool("/usr/bin/diff", ["-rq", out, copy], in: folder)
          #expect(diff.status == 0, "\(context): \(label) differs: \(diff.standardOutput)")
          _ = try ArtProcess.runTool("/bin/rm", ["-rf", out], in: folder)
        }
      }
    }
  }

  /// A disk that refuses a pack's bytes part way (a file size limit, which
  /// fails writes as a full disk does): commit and repack stop with an error
  /// naming the file, leave no temporary pack, and every version stays;
  /// once the disk takes the bytes, the same commit goes through.
  @Test func aDiskThatRefusesWritesLosesNothing() async throws {
    try await withTemporaryDirectory { folder in
      func art(_ arguments: [String], limitKiB: Int? = nil) throws -> ProcessResult {
        guard let limitKiB else { return try ArtProcess.run(arguments, in: folder) }
        // Ignored SIGXFSZ stays ignored across exec, so a write past the
        // limit fails with EFBIG instead of killing art. dash counts
        // `ulimit -f` in 512-byte blocks.
        return try ArtProcess.runTool(
          "/bin/sh",
          [
            "-c", "trap '' XFSZ; ulimit -f \(limitKiB * 2) && exec \"$0\" \"$@\"",
            ArtProcess.binary,
          ]
            + arguments, in: folder)
      }
      #expect(try art(["init"]).status == 0)
      try writeFile(.random(count: 12_000_000, seed: 1), to: folder.appending("data/a.bin"))
      for i in 0..<200 {
        try writeFile(
          .text(count: 5_000, seed: UInt64(i)), to: folder.appending("data/small/f\(i).csv"))
      }
      #expect(try art(["commit", "ds", "data", "-q"]).status == 0)
      #expect(try ArtProcess.runTool("/bin/cp", ["-a", "data", "v0"], in: folder).status == 0)
      try writeFile(.random(count: 24_000_000, seed: 2), to: folder.appending("data/b.bin"))
      try writeFile(.text(count: 12_000_000, seed: 3), to: folder.appending("data/b.csv"))

      func expectNothingLost(_ context: String) throws {
        let packs = try FileManager.default.contentsOfDirectory(
          atPath: folder.appending(".art/objects/packs").string)
        #expect(!packs.contains { $0.hasPrefix("tmp-") }, "\(context): \(packs)")
        let fsck = try art(["fsck", "--full"])
        #expect(fsck.status == 0, "\(context): \(fsck.standardOutput) \(fsck.standardError)")
        let log = try art(["log", "ds", "--json"]).standardOutput
        #expect(log.components(separatedBy: "\"version\" : ").count == 2, "\(context): \(log)")
        _ = try ArtProcess.runTool("/bin/rm", ["-rf", "out"], in: folder)
        #expect(try art(["checkout", "ds:v0", "--to", "out", "-q"]).status == 0, "\(context)")
        let diff = try ArtProcess.runTool("/usr/bin/diff", ["-rq", "out", "v0"], in: folder)
        #expect(diff.status == 0, "\(context): \(diff.standardOutput)")
      }
      let commit = try art(["commit", "ds", "-q"], limitKiB: 8 << 10)
      #expect(commit.status == 1)
      #expect(commit.standardError.contains("cannot write"), "\(commit.standardError)")
      #expect(commit.standardError.contains("/tmp-"), "\(commit.standardError)")
      #expect(commit.standardError.contains("File too large"), "\(commit.standardError)")
      try expectNothingLost("commit")

      // Packs larger than the limit: the first is sealed (and must not be
      // published) after its writes failed.
      let repack = try art(
        ["repack", "--compression", "lz4", "--max-pack-size", "6MiB"], limitKiB: 4 << 10)
      #expect(repack.status == 1, "\(repack.standardOutput)")
      #expect(repack.standardError.contains("File too large"), "\(repack.standardError)")
      try expectNothingLost("repack")

      #expect(try art(["commit", "ds", "-q"]).status == 0)
      #expect(try art(["checkout", "ds", "--to", "latest", "-q"]).status == 0)
      #expect(
        try ArtProcess.runTool("/usr/bin/diff", ["-rq", "latest", "data"], in: folder).status == 0)
    }
  }

  /// `kill -9` during an in-place checkout: every file on disk is whole —
  /// one version's or the other's, never a mix — and running the checkout
  /// again finishes the job; a temporary file the kill may leave is not
  /// data to commit or diff.
  @Test func killDuringCheckoutLeavesNoPartialFile() async throws {
    try await withTemporaryDirectory { folder in
      func art(_ arguments: [String]) throws -> ProcessResult {
        try ArtProcess.run(arguments, in: folder)
      }
      #expect(try art(["init"]).status == 0)
      let versions: [[UInt8]] = [
        .random(count: 30_000_000, seed: 1), .random(count: 30_000_000, seed: 2),
      ]
      for (index, content) in versions.enumerated() {
        try writeFile(content, to: folder.appending("data/big.bin"))
        try writeFile(Array("small \(index)\n".utf8), to: folder.appending("data/small.txt"))
        #expect(try art(["commit", "ds", "data", "-q"]).status == 0)
      }
      let seed = UInt64.random(in: 0...UInt64.max)
      print("CrashTests checkout seed \(seed)")
      var generator = SplitMix64(seed: seed)
      for round in 0..<10 {
        let target = round % 2  // alternate v0 and v1
        let process = try ArtProcess.start(["checkout", "ds:v\(target)", "--force"], in: folder)
        let delay = Int(generator.next() % 400)
        try await Task.sleep(for: .milliseconds(delay))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let context = "seed \(seed) round \(round), killed after \(delay) ms"
        let big = try readFile(folder.appending("data/big.bin"))
        #expect(big == versions[0] || big == versions[1], "\(context): big.bin is partial")
        let again = try art(["checkout", "ds:v\(target)", "--force", "-q"])
        #expect(again.status == 0, "\(context): \(again.standardError)")
        #expect(try readFile(folder.appending("data/big.bin")) == versions[target], "\(context)")
        let diff = try art(["diff", "ds:v\(target)", "--stat"])
        #expect(diff.standardOutput.contains("0 added, 0 removed, 0 modified"), "\(context)")
      }
    }
  }

  /// `kill -9` during a checkout, in place, into a copy and into a new
  /// folder, then a checkout of another version without `--force`: the
  /// files the stopped one wrote are art's, not local changes, so it goes
  /// through and leaves exactly that version.
  @Test func killDuringCheckoutLeavesNoFalseConflict() async throws {
    try await withTemporaryDirectory { folder in
      func art(_ arguments: [String]) throws -> ProcessResult {
        try ArtProcess.run(arguments, in: folder)
      }
      #expect(try art(["init"]).status == 0)
      for version in 0..<3 {
        for index in 0..<600 {
          let name = "data/d\(index % 10)/f\(index).txt"
          let text = String(repeating: "version \(version) file \(index)\n", count: 60)
          try writeFile(Array(text.utf8), to: folder.appending(name))
        }
        if version == 1 {
          try writeFile(Array("only in v1\n".utf8), to: folder.appending("data/extra/v1.txt"))
        } else {
          try? FileManager.default.removeItem(atPath: folder.appending("data/extra").string)
        }
        #expect(try art(["commit", "ds", "data", "-q"]).status == 0)
      }
      #expect(try art(["checkout", "ds:v2", "--to", "copy", "-q"]).status == 0)
      // Kills aim at the time a checkout takes in this build; for each kind
      // of folder the window narrows to between a kill that came too early
      // and one that came too late.
      func milliseconds(_ arguments: [String]) throws -> Double {
        let start = ContinuousClock.now
        #expect(try art(arguments).status == 0)
        return Double((ContinuousClock.now - start) / .milliseconds(1))
      }
      let fresh = try milliseconds(["checkout", "ds:v0", "--to", "timing", "-q"])
      let update = try milliseconds(["checkout", "ds:v1", "--to", "timing", "-q"])
      // Per kind (in place, copy, new folder): kills before this many ms
      // came too early, after that many too late.
      var early = [0.0, 0.0, 0.0]
      var late = [update * 1.2, update * 1.2, fresh * 1.2]
      let seed =
        ProcessInfo.processInfo.environment["ART_CRASH_SEED"].flatMap { UInt64($0) }
        ?? UInt64.random(in: 0...UInt64.max)
      print("CrashTests false-conflict seed \(seed) (replay with ART_CRASH_SEED=\(seed))")
      var generator = SplitMix64(seed: seed)
      var at = ["data": 2, "copy": 2]  // the version each folder holds
      var halfWay = 0
      var round = 0
      // At least 12 rounds, more (up to 80) until 3 kills landed while
      // writing: a slow, busy machine moves the window.
      while round < 12 || (halfWay < 3 && round < 80) {
        defer { round += 1 }
        let place = ["data", "copy", "fresh-\(round)"][round % 3]
        let to = place == "data" ? [] : ["--to", place]
        // Another version than the folder holds, so the checkout writes.
        let stopped = ((at[place] ?? 0) + 1 + Int(generator.next() % 2)) % 3
        // And then another again: the same one would go through even if
        // its files were taken for local changes.
        let next = (stopped + 1 + Int(generator.next() % 2)) % 3
        let process = try ArtProcess.start(["checkout", "ds:v\(stopped)"] + to, in: folder)
        let kind = round % 3
        let within = Double(generator.next() % 1000) / 1000
        let delay = Int(early[kind] + (late[kind] - early[kind]) * within)
        try await Task.sleep(for: .milliseconds(delay))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // Stopped once it had begun writing: its base says so.
        let bases = folder.appending(".art/bases")
        let landed = try FileManager.default.subpathsOfDirectory(atPath: bases.string).contains {
          // A kill while a base was written may leave its temporary file.
          guard !$0.contains(".tmp-") else { return false }
          let text = (try? readFile(bases.appending($0))).map {
            String(decoding: $0, as: UTF8.self)
          }
          return text?.contains("\npartial ") == true
        }
        if landed {
          halfWay += 1
        } else {
          let done = try art(["verify", "ds:v\(stopped)", "--folder", place]).status == 0
          if done { late[kind] = Double(delay) } else { early[kind] = Double(delay) }
          // Not begun near the end of the window: it lies further on; done
          // near its start: it lies earlier.
          if late[kind] - early[kind] < late[kind] / 8 {
            if done { early[kind] = 0 } else { late[kind] *= 2 }
          }
        }
        let context =
          "seed \(seed) round \(round): v\(at[place].map(String.init) ?? "-") to v\(stopped) "
          + "into \(place), killed after \(delay) ms, then v\(next)"
        let checkout = try art(["checkout", "ds:v\(next)", "-q"] + to)
        #expect(checkout.status == 0, "\(context): \(checkout.standardError)")
        let verify = try art(["verify", "ds:v\(next)", "--folder", place])
        #expect(verify.status == 0, "\(context): \(verify.standardOutput)")
        at[place] = next
      }
      print("CrashTests false-conflict: \(halfWay) of \(round) kills landed while writing")
      // Kills that all missed the writing would test nothing.
      #expect(halfWay > 0, "seed \(seed): no kill landed while a checkout was writing")
    }
  }
}
