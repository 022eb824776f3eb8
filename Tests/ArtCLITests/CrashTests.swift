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
}
