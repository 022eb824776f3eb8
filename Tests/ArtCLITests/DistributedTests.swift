import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// upsert, finish and drafts through the real binary.
@Suite("art binary, distributed drafts")
struct DistributedTests {
  @Test func eightWorkersMakeOneVersion() async throws {
    try await withTemporaryDirectory { folder in
      _ = try art("init", in: folder)
      for shard in 0..<8 {
        for file in 0..<5 {
          try writeFile(
            .random(count: 3000 + 700 * file, seed: UInt64(shard * 10 + file)),
            to: folder.appending("data/shard-\(shard)/part-\(file).bin"))
        }
      }
      try writeFile(
        .random(count: 1_500_000, seed: 99), to: folder.appending("data/shard-3/big.bin"))
      let results = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
        for shard in 0..<8 {
          group.addTask {
            try ArtProcess.run(
              [
                "upsert", "emb", "--distributed-id", "run-1", "data/shard-\(shard)", "--worker",
                "w\(shard)",
              ], in: folder)
          }
        }
        var all: [ProcessResult] = []
        for try await result in group { all.append(result) }
        return all
      }
      for result in results { #expect(result.status == 0, "\(result.standardError)") }
      let drafts = try art("drafts", in: folder)
      #expect(
        drafts.standardOutput.contains("emb run-1: 8 parts, 41 files"), "\(drafts.standardOutput)")

      let finish = try art(
        "finish", "emb", "--distributed-id", "run-1", "--metadata", "shards=8", "--alias", "best",
        in: folder)
      #expect(finish.status == 0, "\(finish.standardError)")
      #expect(finish.lines.first?.hasPrefix("emb:v0 ") == true)
      #expect(try art("show", "emb:best", in: folder).standardOutput.contains("distributed: run-1"))
      let copy = try art("checkout", "emb", "--to", "out", "-q", in: folder)
      #expect(copy.status == 0)
      let diff = try ArtProcess.runTool("/usr/bin/diff", ["-r", "data", "out/data"], in: folder)
      #expect(diff.status == 0, "\(diff.standardOutput)")
      #expect(try art("drafts", in: folder).standardOutput.contains("no pending drafts"))

      let late = try art("upsert", "emb", "--distributed-id", "run-1", "data/shard-0", in: folder)
      #expect(late.status == 64)
      #expect(late.standardError.contains("was finished as emb:v0"))
      let again = try art("finish", "emb", "--distributed-id", "run-1", in: folder)
      #expect(again.status != 0)
      #expect(try art("fsck", "--full", in: folder).status == 0)
    }
  }

  @Test func conflictingWorkersAreNamedAndSameContentIsFine() async throws {
    try await withTemporaryDirectory { folder in
      _ = try art("init", in: folder)
      try writeFile(Array("same\n".utf8), to: folder.appending("data/common.txt"))
      try writeFile(Array("first\n".utf8), to: folder.appending("data/labels.csv"))
      _ = try art("upsert", "ds", "--distributed-id", "j1", "data", "--worker", "alpha", in: folder)
      try writeFile(Array("second\n".utf8), to: folder.appending("data/labels.csv"))
      _ = try art("upsert", "ds", "--distributed-id", "j1", "data", "--worker", "beta", in: folder)
      let finish = try art("finish", "ds", "--distributed-id", "j1", in: folder)
      #expect(finish.status == 64)
      #expect(finish.standardError.contains("'data/labels.csv'"), "\(finish.standardError)")
      #expect(finish.standardError.contains("alpha") && finish.standardError.contains("beta"))
      #expect(try art("log", in: folder).standardOutput.contains("no artifacts yet"))

      // Same content from two workers merges.
      _ = try art(
        "upsert", "ds", "--distributed-id", "j2", "data/common.txt", "--worker", "a", in: folder)
      _ = try art(
        "upsert", "ds", "--distributed-id", "j2", "data/common.txt", "--worker", "b", in: folder)
      let same = try art("finish", "ds", "--distributed-id", "j2", in: folder)
      #expect(same.status == 0, "\(same.standardError)")
      #expect(
        try art("upsert", "ds", "--distributed-id", "bad/id", "data", in: folder).status == 64)
      #expect(try art("finish", "ds", "--distributed-id", "none-yet", in: folder).status == 1)
    }
  }

  @Test func gcKeepsOpenDraftsUntilTheyExpire() async throws {
    try await withTemporaryDirectory { folder in
      _ = try art("init", in: folder)
      try writeFile(.random(count: 200_000, seed: 1), to: folder.appending("data/a.bin"))
      _ = try art("upsert", "ds", "--distributed-id", "open", "data", in: folder)
      let gc = try art("gc", "--grace", "0s", in: folder)
      #expect(gc.status == 0, "\(gc.standardError)")
      #expect(try art("fsck", "--full", in: folder).status == 0)
      // Keep a part file, as a finish killed before deleting parts leaves.
      let draft = folder.appending(".art/drafts/ds/open")
      let part = try #require(
        try FileManager.default.contentsOfDirectory(atPath: draft.string).first)
      let partBytes = try readFile(draft.appending(part))
      #expect(try art("finish", "ds", "--distributed-id", "open", in: folder).status == 0)
      try writeFile(partBytes, to: draft.appending(part))
      #expect(try art("drafts", in: folder).standardOutput.contains("no pending drafts"))
      #expect(try art("gc", "--grace", "0s", in: folder).status == 0)
      #expect(!FileManager.default.fileExists(atPath: draft.string), "leftover parts removed by gc")
      #expect(try art("checkout", "ds", "--to", "out", "-q", in: folder).status == 0)
      #expect(try readFile(folder.appending("out/data/a.bin")) == .random(count: 200_000, seed: 1))

      // A draft nobody finishes goes once it expires.
      let config = folder.appending(".art/config")
      try writeFile(try readFile(config) + Array("[gc]\n\tdraftExpiry = 1s\n".utf8), to: config)
      try writeFile(.random(count: 200_000, seed: 2), to: folder.appending("data/b.bin"))
      _ = try art("upsert", "ds", "--distributed-id", "stale", "data/b.bin", in: folder)
      #expect(await artInProcess("gc", "--grace", "0s", in: folder, clockAhead: 1_500).status == 0)
      #expect(try art("drafts", in: folder).standardOutput.contains("no pending drafts"))
      let fsck = try art("fsck", "--json", in: folder)
      #expect(fsck.standardOutput.contains("\"danglingObjects\" : 0"), "\(fsck.standardOutput)")
    }
  }
}
