import ArtRemote
import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// Remotes through the real binary against a real SeaweedFS S3 gateway on
/// loopback, and a folder remote.
@Suite("art binary, remotes on SeaweedFS", .serialized)
struct RemoteTests {
  /// A SeaweedFS server with bucket `bucket`, and art runs with its keys.
  struct Fixture {
    let server: SeaweedServer
    let folder: FilePath
    let bucket: String
    var environment: [String] {
      [
        "AWS_ACCESS_KEY_ID=\(server.accessKey)", "AWS_SECRET_ACCESS_KEY=\(server.secretKey)",
        "AWS_ENDPOINT_URL=\(server.endpoint)", "ART_REMOTE_ATTEMPTS=2",
        "ART_CACHE_DIR=\(folder.appending("cache").string)",
      ]
    }

    func art(_ arguments: [String], in directory: FilePath, extra: [String] = []) throws
      -> ProcessResult
    {
      try ArtProcess.runTool(
        "/usr/bin/env", environment + extra + [ArtProcess.binary] + arguments, in: directory)
    }

    func art(_ arguments: String..., in directory: FilePath) throws -> ProcessResult {
      try art(arguments, in: directory)
    }

    func start(_ arguments: [String], in directory: FilePath, extra: [String] = []) throws
      -> Process
    {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = environment + extra + [ArtProcess.binary] + arguments
      process.currentDirectoryURL = URL(fileURLWithPath: directory.string)
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      return process
    }

    func client() -> S3Client {
      S3Client(
        endpoint: server.endpoint, bucket: bucket, region: "us-east-1",
        credentials: AWSCredentials(
          accessKeyID: server.accessKey, secretAccessKey: server.secretKey))
    }

    /// A new repository in `name` with remote origin at s3://bucket/team.
    func repository(_ name: String) throws -> FilePath {
      let root = folder.appending(name)
      try FileManager.default.createDirectory(
        atPath: root.string, withIntermediateDirectories: true)
      #expect(try art("init", in: root).status == 0)
      #expect(try art("remote", "add", "origin", "s3://\(bucket)/team", in: root).status == 0)
      return root
    }
  }

  func withServer(_ body: (Fixture) async throws -> Void) async throws {
    try await withTemporaryDirectory { folder in
      let fixture = Fixture(
        server: try SeaweedServer.shared(), folder: folder, bucket: SeaweedServer.bucketName())
      try await fixture.client().createBucket()
      try await body(fixture)
    }
  }

  /// The number `key` of a JSON object printed by art.
  func number(_ key: String, in result: ProcessResult) -> Int? {
    let object = try? JSONSerialization.jsonObject(with: Data(result.standardOutputBytes))
    return ((object as? [String: Any])?[key] as? NSNumber)?.intValue
  }

  func pushed(_ result: ProcessResult) -> (objects: Int, packs: Int)? {
    // "pushed to origin (…): 3 objects in 1 pack (…"
    guard let line = result.lines.first(where: { $0.hasPrefix("pushed to") }) else { return nil }
    if line.contains("nothing to upload") { return (0, 0) }
    guard let colon = line.range(of: "): ") else { return nil }
    let words = line[colon.upperBound...].split(separator: " ")
    guard words.count > 4, let objects = Int(words[0]), let packs = Int(words[3]) else {
      return nil
    }
    return (objects, packs)
  }

  @Test func pushCloneCheckoutAndIncrementalPush() async throws {
    try await withServer { s in
      let a = try s.repository("a")
      for i in 0..<30 {
        try writeFile(
          .random(count: 20_000 + i * 500, seed: UInt64(i)), to: a.appending("data/f\(i)"))
      }
      try writeFile(.random(count: 3_000_000, seed: 99), to: a.appending("data/big.bin"))
      #expect(try s.art("commit", "ds", "data", "--alias", "production", in: a).status == 0)

      let first = try s.art("push", in: a)
      #expect(first.status == 0, "\(first.standardError)")
      #expect(first.standardOutput.contains("new: ds:v0"), "\(first.standardOutput)")
      let firstCount = try #require(pushed(first))
      #expect(firstCount.objects > 30)

      // Nothing new: nothing sent.
      #expect(pushed(try s.art("push", in: a))?.objects == 0)

      // One changed file: only its objects and the new metadata go up.
      try writeFile(.random(count: 21_000, seed: 1000), to: a.appending("data/f3"))
      #expect(try s.art("commit", "ds", "data", in: a).status == 0)
      let second = try s.art("push", in: a)
      #expect(second.status == 0, "\(second.standardError)")
      let secondCount = try #require(pushed(second))
      #expect(secondCount.objects > 0 && secondCount.objects <= 4, "\(second.standardOutput)")
      #expect(second.standardOutput.contains("new: ds:v1"))

      // Clone elsewhere; both versions check out bit for bit.
      let clone = try s.art("clone", "s3://\(s.bucket)/team", "b", in: s.folder)
      #expect(clone.status == 0, "\(clone.standardError)")
      let b = s.folder.appending("b")
      #expect(try s.art("checkout", "ds:production", "--to", "v0", in: b).status == 0)
      #expect(try s.art("checkout", "ds", "--to", "v1", in: b).status == 0)
      for i in 0..<30 where i != 3 {
        #expect(try readFile(b.appending("v0/f\(i)")) == readFile(a.appending("data/f\(i)")))
      }
      #expect(try readFile(b.appending("v1/f3")) == readFile(a.appending("data/f3")))
      #expect(try readFile(b.appending("v1/big.bin")) == readFile(a.appending("data/big.bin")))
      #expect(try readFile(b.appending("v0/f3")) != readFile(a.appending("data/f3")))
      #expect(try s.art("fsck", "--full", in: b).status == 0)

      // A version made in the clone comes back with pull.
      try writeFile(Array("new\n".utf8), to: b.appending("v1/extra.txt"))
      #expect(try s.art("commit", "ds", "v1", in: b).status == 0)
      #expect(try s.art("push", in: b).status == 0)
      // Fetched, not pulled: the plain spec finds it on the remote.
      #expect(try s.art("checkout", "ds:v2", "--to", "v2", in: a).status != 0)
      #expect(try s.art("fetch", in: a).status == 0)
      let fetched = try s.art("checkout", "ds:v2", "--to", "v2", in: a)
      #expect(fetched.status == 0, "\(fetched.standardError)")
      #expect(fetched.standardError.contains("using origin/ds:v2"), "\(fetched.standardError)")
      #expect(try readFile(a.appending("v2/extra.txt")) == Array("new\n".utf8))
      let pull = try s.art("pull", in: a)
      #expect(pull.status == 0, "\(pull.standardError)")
      #expect(pull.standardOutput.contains("new: ds:v2"), "\(pull.standardOutput)")
      #expect(try s.art("gc", in: a).status == 0)
      #expect(try s.art("fsck", in: a).status == 0)
    }
  }

  @Test func subsetCheckoutReadsOnlyTheSubset() async throws {
    try await withServer { s in
      let a = try s.repository("a")
      for i in 0..<8 {
        try writeFile(
          .random(count: 2_000_000, seed: UInt64(i)), to: a.appending("data/part\(i).bin"))
      }
      try writeFile(Array("a,b\n1,2\n".utf8), to: a.appending("data/labels.csv"))
      #expect(try s.art("commit", "ds", "data", in: a).status == 0)
      #expect(try s.art("push", in: a).status == 0)

      let c = try s.repository("c")
      let subset = try s.art(
        "checkout", "origin/ds:latest", "--path", "part3.bin", "--path", "labels.csv", "--to",
        "out", in: c)
      #expect(subset.status == 0, "\(subset.standardError)")
      #expect(try readFile(c.appending("out/part3.bin")) == readFile(a.appending("data/part3.bin")))
      #expect(try readFile(c.appending("out/labels.csv")) == Array("a,b\n1,2\n".utf8))
      #expect(!FileManager.default.fileExists(atPath: c.appending("out/part2.bin").string))
      // "downloaded N objects of origin/ds:v0 in R requests (SIZE, …)": one
      // 2 MB file and the small one, not the 16 MB version.
      let note = subset.standardError.split(separator: "\n").first {
        $0.contains("downloaded")
      }
      let size = try #require(
        note.flatMap { $0.split(separator: "(").last?.split(separator: ",").first })
      #expect(size.hasSuffix("MiB") ? Double(size.dropLast(4)) ?? 99 < 2.5 : true, "\(size)")
      #expect(try s.art("checkout", "origin/ds", "--to", "all", in: c).status == 0)
      for i in 0..<8 {
        #expect(
          try readFile(c.appending("all/part\(i).bin"))
            == readFile(a.appending("data/part\(i).bin")))
      }
      #expect(try s.art("gc", in: c).status == 0)
      #expect(try s.art("fsck", "--full", in: c).status == 0)
    }
  }

  @Test func racingPushesBothLandOrOneIsToldToPull() async throws {
    try await withServer { s in
      let a = try s.repository("a")
      try writeFile(Array("base\n".utf8), to: a.appending("base/x"))
      #expect(try s.art("commit", "base", "base", in: a).status == 0)
      #expect(try s.art("push", in: a).status == 0)
      #expect(try s.art("clone", "s3://\(s.bucket)/team", "b", in: s.folder).status == 0)
      let b = s.folder.appending("b")

      // Different artifacts at once: both land.
      try writeFile(.random(count: 500_000, seed: 1), to: a.appending("one/x"))
      try writeFile(.random(count: 500_000, seed: 2), to: b.appending("two/x"))
      #expect(try s.art("commit", "one", "one", in: a).status == 0)
      #expect(try s.art("commit", "two", "two", in: b).status == 0)
      let pushA = try s.start(["push"], in: a)
      let pushB = try s.start(["push"], in: b)
      pushA.waitUntilExit()
      pushB.waitUntilExit()
      #expect(pushA.terminationStatus == 0 && pushB.terminationStatus == 0)
      #expect(try s.art("pull", in: a).status == 0)
      #expect(try s.art("show", "two", in: a).status == 0)
      #expect(try s.art("show", "origin/one", in: b).status == 0)

      // Again where the server is taken to ignore conditional writes: the
      // lock object serialises the two, and both land.
      for repo in [a, b] {
        try writeFile(Array("no\n".utf8), to: repo.appending(".art/remotes/origin/conditional"))
      }
      try writeFile(.random(count: 1000, seed: 3), to: a.appending("three/x"))
      try writeFile(.random(count: 1000, seed: 4), to: b.appending("four/x"))
      #expect(try s.art("commit", "three", "three", in: a).status == 0)
      #expect(try s.art("commit", "four", "four", in: b).status == 0)
      let lockedA = try s.start(["push"], in: a)
      let lockedB = try s.start(["push"], in: b)
      lockedA.waitUntilExit()
      lockedB.waitUntilExit()
      #expect(lockedA.terminationStatus == 0 && lockedB.terminationStatus == 0)
      let remoteLog = try s.art("log", "origin/", in: a)
      #expect(remoteLog.standardOutput.contains("three"), "\(remoteLog.standardOutput)")
      #expect(remoteLog.standardOutput.contains("four"), "\(remoteLog.standardOutput)")
      // Records of the remote's versions are here now, their data is not:
      // no damage to gc or fsck.
      #expect(try s.art("show", "origin/four", in: a).status == 0)
      #expect(try s.art("gc", in: a).status == 0)
      #expect(try s.art("fsck", in: a).status == 0)
      #expect(try await s.client().list(prefix: "team/locks/").isEmpty)
      for repo in [a, b] {
        try writeFile(Array("yes\n".utf8), to: repo.appending(".art/remotes/origin/conditional"))
      }

      // The same artifact from both: one lands, the other is told to pull.
      try writeFile(Array("from a\n".utf8), to: a.appending("base/x"))
      #expect(try s.art("pull", in: b).status == 0)
      try writeFile(Array("from b\n".utf8), to: b.appending("base/y"))
      #expect(try s.art("commit", "base", "base", in: a).status == 0)
      #expect(try s.art("commit", "base", "base", in: b).status == 0)
      let racerA = try s.start(["push"], in: a)
      let racerB = try s.start(["push"], in: b)
      racerA.waitUntilExit()
      racerB.waitUntilExit()
      let statuses = [racerA.terminationStatus, racerB.terminationStatus].sorted()
      #expect(statuses[0] == 0 && statuses[1] != 0, "\(statuses)")
      let loser = racerA.terminationStatus == 0 ? b : a
      let again = try s.art("push", in: loser)
      #expect(again.status != 0)
      #expect(again.standardError.contains("remote changed"), "\(again.standardError)")
      #expect(again.standardError.contains("art pull"), "\(again.standardError)")
      let pull = try s.art("pull", in: loser)
      #expect(pull.standardOutput.contains("renumbered"), "\(pull.standardOutput)")
      #expect(try s.art("push", in: loser).status == 0)
      // Both versions are on the remote, neither overwritten.
      let c = s.folder.appending("c")
      #expect(try s.art("clone", "s3://\(s.bucket)/team", "c", in: s.folder).status == 0)
      #expect(try s.art("checkout", "base:v1", "--to", "v1", in: c).status == 0)
      #expect(try s.art("checkout", "base:v2", "--to", "v2", in: c).status == 0)
      let xs = [c.appending("v1/x"), c.appending("v2/x")].filter {
        (try? readFile($0)) == Array("from a\n".utf8)
      }
      #expect(xs.count == 1)
      let ys = [c.appending("v1/y"), c.appending("v2/y")].filter {
        FileManager.default.fileExists(atPath: $0.string)
      }
      #expect(ys.count == 1)
    }
  }

  @Test func killedPushResumesAndLosesNothing() async throws {
    try await withServer { s in
      let a = try s.repository("a")
      try writeFile(.random(count: 120_000_000, seed: 5), to: a.appending("data/huge.bin"))
      #expect(try s.art("commit", "ds", "data", "--compression", "none", in: a).status == 0)
      // The push kills itself with SIGKILL once two parts have arrived
      // (others are in flight): a kill -9 at a known point.
      let push = try s.start(["push"], in: a, extra: ["ART_TEST_KILL_AFTER_PARTS=2"])
      push.waitUntilExit()
      #expect(push.terminationReason == .uncaughtSignal && push.terminationStatus == SIGKILL)
      let client = s.client()
      var parts = 0
      for upload in try await client.pendingUploads(prefix: "team/packs/") {
        parts += try await client.uploadedParts(upload.key, uploadID: upload.uploadID).count
      }
      #expect(parts >= 2)
      // Nothing was published: no refs on the remote yet.
      #expect(try await client.get("team/refs") == nil)
      #expect(try s.art("fsck", in: a).status == 0)

      let again = try s.art("push", in: a)
      #expect(again.status == 0, "\(again.standardError)")
      #expect(again.standardOutput.contains("resumed"), "\(again.standardOutput)")
      #expect(try s.art("clone", "s3://\(s.bucket)/team", "b", in: s.folder).status == 0)
      let b = s.folder.appending("b")
      #expect(try s.art("checkout", "ds", "--to", "out", in: b).status == 0)
      #expect(try readFile(b.appending("out/huge.bin")) == readFile(a.appending("data/huge.bin")))

      // A killed push that is never run again: remote gc drops its parts.
      try writeFile(.random(count: 40_000_000, seed: 6), to: a.appending("data/more.bin"))
      #expect(try s.art("commit", "ds", "data", "--compression", "none", in: a).status == 0)
      let killed = try s.start(["push"], in: a, extra: ["ART_TEST_KILL_AFTER_PARTS=1"])
      killed.waitUntilExit()
      #expect(killed.terminationStatus == SIGKILL)
      #expect(try await !client.pendingUploads(prefix: "team/packs/").isEmpty)
      let gc = try s.art("gc", "--remote", "origin", "--grace", "0", "--json", in: a)
      #expect(number("unfinishedUploadsDropped", in: gc) == 1, "\(gc.standardOutput)")
      #expect(try await client.pendingUploads(prefix: "team/packs/").isEmpty)
      #expect(try s.art("push", in: a).status == 0)
      #expect(try s.art("pull", in: b).status == 0)
      #expect(try s.art("checkout", "ds", "--to", "out2", in: b).status == 0)
      #expect(try readFile(b.appending("out2/more.bin")) == readFile(a.appending("data/more.bin")))
    }
  }

  @Test func clearErrorsAndNothingChanged() async throws {
    try await withServer { s in
      let a = try s.repository("a")
      try writeFile(Array("x\n".utf8), to: a.appending("data/x"))
      #expect(try s.art("commit", "ds", "data", in: a).status == 0)
      let config = try readFile(a.appending(".art/config"))

      // Wrong keys.
      let wrong = try s.art(["push"], in: a, extra: ["AWS_SECRET_ACCESS_KEY=nope"])
      #expect(wrong.status != 0)
      #expect(wrong.standardError.contains("refuses the credentials"), "\(wrong.standardError)")
      // No keys at all.
      let none = try ArtProcess.runTool(
        "/usr/bin/env", ["-i", "HOME=/nonexistent", ArtProcess.binary, "push"], in: a)
      #expect(none.status != 0)
      #expect(none.standardError.contains("no credentials"), "\(none.standardError)")
      // A missing bucket.
      #expect(try s.art("remote", "add", "gone", "s3://no-such-bucket/x", in: a).status == 0)
      let missing = try s.art("push", "gone", in: a)
      #expect(missing.status != 0)
      #expect(
        missing.standardError.contains("no bucket 'no-such-bucket'"), "\(missing.standardError)")
      // A server that is down.
      #expect(
        try s.art(
          "remote", "add", "down", "s3://\(s.bucket)/x", "--endpoint", "http://127.0.0.1:9",
          in: a
        ).status == 0)
      let down = try s.art("push", "down", in: a)
      #expect(down.status != 0)
      #expect(down.standardError.contains("cannot reach the remote"), "\(down.standardError)")
      // Bad URLs, names and specs.
      #expect(try s.art("remote", "add", "x", "ftp://host/x", in: a).status == 64)
      #expect(try s.art("remote", "add", "origin", "s3://\(s.bucket)/y", in: a).status == 64)
      #expect(try s.art("remote", "add", "bad/name", "s3://\(s.bucket)/y", in: a).status == 64)
      #expect(try s.art("push", "nowhere", in: a).status != 0)
      #expect(try s.art("clone", "s3://\(s.bucket)/empty", "e", in: s.folder).status != 0)
      #expect(!FileManager.default.fileExists(atPath: s.folder.appending("e").string))
      #expect(try s.art("checkout", "origin/nothing", in: a).status != 0)
      // Credentials never reach the config.
      let text = String(decoding: try readFile(a.appending(".art/config")), as: UTF8.self)
      #expect(!text.contains("art-test-secret"))
      #expect(try s.art("remote", "rm", "gone", in: a).status == 0)
      #expect(try s.art("remote", "rm", "down", in: a).status == 0)
      #expect(try readFile(a.appending(".art/config")) == config)
      #expect(try s.art("fsck", in: a).status == 0)
      // The remote still works.
      #expect(try s.art("push", in: a).status == 0)
    }
  }

  @Test func eightWorkersOnTheirOwnClonesBuildOneVersion() async throws {
    try await withServer { s in
      let seed = try s.repository("seed")
      try writeFile(Array("seed\n".utf8), to: seed.appending("readme"))
      #expect(try s.art("commit", "docs", "readme", in: seed).status == 0)
      #expect(try s.art("push", in: seed).status == 0)
      var workers: [Process] = []
      for w in 0..<8 {
        let clone = s.folder.appending("w\(w)")
        #expect(try s.art("clone", "s3://\(s.bucket)/team", "w\(w)", in: s.folder).status == 0)
        try writeFile(
          .random(count: 200_000 + w * 1000, seed: UInt64(100 + w)),
          to: clone.appending("shards/shard-\(w).bin"))
        try writeFile(
          Array("same in every worker\n".utf8), to: clone.appending("shards/schema.txt"))
      }
      for w in 0..<8 {
        workers.append(
          try s.start(
            [
              "upsert", "emb", "--distributed-id", "run-1", "shards", "--remote", "origin",
              "--worker", "w\(w)",
            ], in: s.folder.appending("w\(w)")))
      }
      for worker in workers { worker.waitUntilExit() }
      #expect(workers.allSatisfy { $0.terminationStatus == 0 })

      // Finish from yet another clone; the version lands on the remote.
      #expect(try s.art("clone", "s3://\(s.bucket)/team", "f", in: s.folder).status == 0)
      let f = s.folder.appending("f")
      let finish = try s.art(
        "finish", "emb", "--distributed-id", "run-1", "--remote", "origin", "--alias", "best",
        in: f)
      #expect(finish.status == 0, "\(finish.standardError)")
      #expect(finish.standardOutput.contains("emb:v0"), "\(finish.standardOutput)")
      #expect(finish.standardOutput.contains("8 parts"), "\(finish.standardOutput)")
      // Finishing again, or upserting to the finished id, is refused.
      #expect(
        try s.art("finish", "emb", "--distributed-id", "run-1", "--remote", "origin", in: f)
          .status != 0)
      let late = try s.art(
        "upsert", "emb", "--distributed-id", "run-1", "shards", "--remote", "origin",
        in: s.folder.appending("w0"))
      #expect(late.status != 0)
      #expect(late.standardError.contains("was finished as emb:v0"), "\(late.standardError)")

      // A fresh clone checks out all eight shards bit for bit.
      #expect(try s.art("clone", "s3://\(s.bucket)/team", "check", in: s.folder).status == 0)
      let check = s.folder.appending("check")
      #expect(try s.art("checkout", "emb:best", "--to", "out", in: check).status == 0)
      for w in 0..<8 {
        #expect(
          try readFile(check.appending("out/shards/shard-\(w).bin"))
            == readFile(s.folder.appending("w\(w)/shards/shard-\(w).bin")))
      }
      #expect(try s.art("fsck", "--full", in: check).status == 0)
    }
  }

  @Test func remoteGCKeepsWhatAnyRepositoryReferences() async throws {
    try await withServer { s in
      let a = try s.repository("a")
      try writeFile(.random(count: 200_000, seed: 1), to: a.appending("d/shared.bin"))
      #expect(try s.art("commit", "ds", "d", in: a).status == 0)
      try writeFile(.random(count: 2_000_000, seed: 2), to: a.appending("d/big.bin"))
      #expect(try s.art("commit", "ds", "d", in: a).status == 0)
      #expect(try s.art("push", in: a).status == 0)
      // Another project shares the remote (and one file).
      let b = try s.repository("b")
      try writeFile(try readFile(a.appending("d/shared.bin")), to: b.appending("e/shared.bin"))
      #expect(try s.art("commit", "other", "e", in: b).status == 0)
      #expect(try s.art("push", in: b).status == 0)
      // A clone that has ds:v1 keeps it alive on the remote.
      #expect(try s.art("clone", "s3://\(s.bucket)/team", "c", in: s.folder).status == 0)
      let c = s.folder.appending("c")

      #expect(try s.art("rm", "ds:v1", in: a).status == 0)
      let push = try s.art("push", in: a)
      #expect(push.standardOutput.contains("deleted: ds:v1"), "\(push.standardOutput)")
      let kept = try s.art("gc", "--remote", "origin", "--grace", "0", "--json", in: a)
      #expect(kept.status == 0, "\(kept.standardError)")
      #expect(number("packsDeleted", in: kept) == 0)

      // Once no repository names ds:v1, its pack goes: first marked, then
      // deleted by a gc after the grace period.
      #expect(try s.art("rm", "ds:v1", in: c).status == 0)
      #expect(try s.art("push", in: c).status == 0)
      let marked = try s.art("gc", "--remote", "origin", "--json", in: a)
      #expect(number("packsCondemned", in: marked) == 1)
      #expect(number("packsDeleted", in: marked) == 0)
      let dry = try s.art("gc", "--remote", "origin", "--grace", "0", "--dry-run", "--json", in: a)
      #expect(number("packsDeleted", in: dry) == 1)
      let deleted = try s.art("gc", "--remote", "origin", "--grace", "0", "--json", in: a)
      #expect(number("packsDeleted", in: deleted) == 1)

      // Everything still named checks out bit for bit.
      #expect(try s.art("clone", "s3://\(s.bucket)/team", "d2", in: s.folder).status == 0)
      let d2 = s.folder.appending("d2")
      #expect(try s.art("checkout", "other", "--to", "o", in: d2).status == 0)
      #expect(try s.art("checkout", "ds:v0", "--to", "v0", in: d2).status == 0)
      #expect(try readFile(d2.appending("o/shared.bin")) == readFile(a.appending("d/shared.bin")))
      #expect(try readFile(d2.appending("v0/shared.bin")) == readFile(a.appending("d/shared.bin")))
      #expect(try s.art("fsck", "--full", in: d2).status == 0)
      #expect(try s.art("checkout", "ds:v1", "--to", "v1", in: d2).status != 0)
    }
  }

  @Test func s3ReferencesRecordETagsAndAreCheckedAtCheckout() async throws {
    try await withServer { s in
      let client = s.client()
      let big = [UInt8].random(count: 20_000_000, seed: 7)
      let small = [UInt8].random(count: 1000, seed: 8)
      try await client.put("raw/images/a.bin", small)
      try await client.put("raw/images/sub/b.bin", big)
      let a = try s.repository("a")
      let commit = try s.art(
        "commit", "ds", "--reference", "s3://\(s.bucket)/raw/images=images", in: a)
      #expect(commit.status == 0, "\(commit.standardError)")
      #expect(commit.standardOutput.contains("2 references"), "\(commit.standardOutput)")
      #expect(try s.art("verify", "ds", in: a).status == 0)
      #expect(try s.art("checkout", "ds", "--to", "out", in: a).status == 0)
      #expect(try readFile(a.appending("out/images/a.bin")) == small)
      #expect(try readFile(a.appending("out/images/sub/b.bin")) == big)
      // Changed on S3: caught by verify and checkout, nothing written.
      try await client.put("raw/images/a.bin", Array(small.reversed()))
      let verify = try s.art("verify", "ds", in: a)
      #expect(verify.status == 3)
      #expect(verify.standardOutput.contains("ETag"), "\(verify.standardOutput)")
      let refused = try s.art("checkout", "ds", "--to", "out2", in: a)
      #expect(refused.status == 3)
      #expect(!FileManager.default.fileExists(atPath: a.appending("out2/images/a.bin").string))
      #expect(try s.art("checkout", "ds", "--to", "out3", "--allow-changed", in: a).status == 0)
      #expect(try readFile(a.appending("out3/images/a.bin")) == Array(small.reversed()))
      // A missing object is an error at commit; no version is made.
      #expect(
        try s.art("commit", "ds2", "--reference", "s3://\(s.bucket)/nothing", in: a).status != 0)
      #expect(try s.art("show", "ds2", in: a).status != 0)
    }
  }

  /// A push sends the chunks a new file shares with a file the remote
  /// holds whole.
  ///
  /// This repository holds that file as a chunk list (another clone, with
  /// other chunk sizes, pushed it first): that a version there names the
  /// file does not put these chunks there.
  @Test func aPushSendsChunksOfAFileTheRemoteHoldsWhole() async throws {
    try await withTemporaryDirectory { folder in
      let file = [UInt8].text(count: 700_000, seed: 21)
      let grown = file + .text(count: 100_000, seed: 22)
      // b cuts files over 1 MiB only: it stores the file whole, and pushes.
      let b = folder.appending("b")
      try writeFile(file, to: b.appending("data/f.csv"))
      for arguments in [
        ["init"], ["commit", "ds", "data"], ["remote", "add", "origin", "../shared"], ["push"],
      ] {
        let result = try ArtProcess.run(arguments, in: b)
        #expect(result.status == 0, "\(arguments): \(result.standardError)")
      }
      // a cuts it into 16-256 KiB chunks, has it before it pulls b's
      // version, then adds a file that shares all but its last chunks.
      let a = folder.appending("a")
      try writeFile(file, to: a.appending("mine/f.csv"))
      #expect(try ArtProcess.run(["init"], in: a).status == 0)
      try ExecutableTests.giveOriginalChunkSizes(a)
      #expect(try ArtProcess.run(["commit", "mine", "mine"], in: a).status == 0)
      for arguments in [["remote", "add", "origin", "../shared"], ["pull"]] {
        let result = try ArtProcess.run(arguments, in: a)
        #expect(result.status == 0, "\(arguments): \(result.standardError)")
      }
      try writeFile(file, to: a.appending("data/f.csv"))
      try writeFile(grown, to: a.appending("data/g.csv"))
      #expect(try ArtProcess.run(["commit", "ds", "data"], in: a).status == 0)
      let push = try ArtProcess.run(["push"], in: a)
      #expect(push.status == 0, "\(push.standardError)")
      // A clone gets both files back whole from the remote alone.
      #expect(try ArtProcess.run(["clone", "shared", "c"], in: folder).status == 0)
      let c = folder.appending("c")
      let checkout = try ArtProcess.run(["checkout", "ds:v1", "--to", "../out"], in: c)
      #expect(checkout.status == 0, "\(checkout.standardError)")
      #expect(try readFile(folder.appending("out/g.csv")) == grown)
      #expect(try readFile(folder.appending("out/f.csv")) == file)
      let fsck = try ArtProcess.run(["fsck"], in: c)
      #expect(fsck.status == 0, "\(fsck.standardError)")
    }
  }

  /// A push and a fetch look at what changed, not at the whole history:
  /// the push walks only what the new version does not share with one the
  /// remote has, and the fetch only packs new since the last one — yet a
  /// fetch still brings back a local pack that was lost.
  @Test func pushAndFetchLookOnlyAtWhatChangedAndFetchRepairsALostPack() async throws {
    try await withTemporaryDirectory { folder in
      let a = folder.appending("a")
      for i in 0..<40 {
        try writeFile(
          .random(count: 2_000 + i, seed: UInt64(i)), to: a.appending("data/d\(i % 4)/f\(i)"))
      }
      #expect(try ArtProcess.run(["init"], in: a).status == 0)
      #expect(try ArtProcess.run(["commit", "ds", "data"], in: a).status == 0)
      #expect(try ArtProcess.run(["remote", "add", "shared", "../shared"], in: a).status == 0)
      #expect(try ArtProcess.run(["push"], in: a).status == 0)
      #expect(try ArtProcess.run(["clone", "shared", "b"], in: folder).status == 0)
      let b = folder.appending("b")
      func json(_ result: ProcessResult) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(result.standardOutputBytes)))
          as? [String: Any] ?? [:]
      }
      for round in 1...2 {
        try writeFile(
          .random(count: 3_000, seed: UInt64(100 + round)), to: a.appending("data/d1/f1"))
        #expect(try ArtProcess.run(["commit", "ds", "data"], in: a).status == 0)
        let push = try ArtProcess.run(["push", "--json"], in: a)
        #expect(push.status == 0, "\(push.standardError)")
        // The record, the top manifest, d1's manifest and the file.
        #expect(json(push)["objects"] as? Int == 4, "\(push.standardOutput)")
        #expect((json(push)["objectsPresent"] as? Int ?? 99) < 4, "\(push.standardOutput)")
        let fetch = try ArtProcess.run(["fetch", "--json"], in: b)
        #expect(fetch.status == 0, "\(fetch.standardError)")
        // Only the new pack is looked at: nothing of v0 is counted again.
        #expect(json(fetch)["objectsPresent"] as? Int == 0, "\(fetch.standardOutput)")
        #expect(json(fetch)["packs"] as? Int == 1, "\(fetch.standardOutput)")
      }
      #expect(try ArtProcess.run(["pull"], in: b).status == 0)
      // A lost pack: the next fetch sees the record no longer holds and
      // looks at every remote pack again.
      let packs = b.appending(".art/objects/packs")
      let lost = try #require(
        try FileManager.default.contentsOfDirectory(atPath: packs.string).filter {
          $0.hasSuffix(".pack")
        }.max { try fileSize(packs.appending($0)) < fileSize(packs.appending($1)) })
      try FileManager.default.removeItem(atPath: packs.appending(lost).string)
      try FileManager.default.removeItem(
        atPath: packs.appending(String(lost.dropLast(5)) + ".idx").string)
      #expect(try ArtProcess.run(["fsck"], in: b).status != 0)
      let repair = try ArtProcess.run(["fetch", "--json"], in: b)
      #expect(repair.status == 0, "\(repair.standardError)")
      #expect((json(repair)["objectsPresent"] as? Int ?? 0) > 0, "\(repair.standardOutput)")
      let fsck = try ArtProcess.run(["fsck", "--full"], in: b)
      #expect(fsck.status == 0, "\(fsck.standardOutput)\(fsck.standardError)")
      #expect(try ArtProcess.run(["checkout", "ds:v0", "--to", "out"], in: b).status == 0)
      #expect(try readFile(b.appending("out/d0/f0")) == readFile(a.appending("data/d0/f0")))
    }
  }

  /// Small remote packs that would pile up past `pack.autoMerge` are
  /// fetched by range into one new pack, and a merge here (`art repack`,
  /// or the one a fetch or commit makes) keeps the record of what was
  /// fetched: the next fetch still looks only at packs new since, and
  /// every version checks out.
  @Test func fetchWritesSmallPacksIntoOneAndAMergeKeepsTheFetchRecord() async throws {
    try await withTemporaryDirectory { folder in
      let a = folder.appending("a")
      try writeFile(.random(count: 4_000, seed: 1), to: a.appending("data/f0"))
      #expect(try ArtProcess.run(["init"], in: a).status == 0)
      #expect(try ArtProcess.run(["commit", "ds", "data", "-q"], in: a).status == 0)
      #expect(try ArtProcess.run(["remote", "add", "shared", "../shared"], in: a).status == 0)
      #expect(try ArtProcess.run(["push", "-q"], in: a).status == 0)
      #expect(try ArtProcess.run(["clone", "-q", "shared", "b"], in: folder).status == 0)
      let b = folder.appending("b")
      let config = b.appending(".art/config")
      try writeFile(try readFile(config) + Array("[pack]\n\tautoMerge = 3\n".utf8), to: config)
      func push(_ round: Int) throws {
        try writeFile(
          .random(count: 4_000, seed: UInt64(10 + round)), to: a.appending("data/f\(round)"))
        #expect(try ArtProcess.run(["commit", "ds", "data", "-q"], in: a).status == 0)
        #expect(try ArtProcess.run(["push", "-q"], in: a).status == 0)
      }
      func localPacks() throws -> Int {
        try FileManager.default.contentsOfDirectory(
          atPath: b.appending(".art/objects/packs").string
        ).count { $0.hasSuffix(".pack") }
      }
      func json(_ result: ProcessResult) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(result.standardOutputBytes)))
          as? [String: Any] ?? [:]
      }
      for round in 1...3 { try push(round) }
      let fetch = try ArtProcess.run(["fetch", "--json"], in: b)
      #expect(fetch.status == 0, "\(fetch.standardError)")
      // Three remote packs, one here (each version: record, manifest, file).
      #expect(json(fetch)["packs"] as? Int == 0, "\(fetch.standardOutput)")
      #expect(json(fetch)["objects"] as? Int == 9, "\(fetch.standardOutput)")
      #expect(try localPacks() == 2)
      let repack = try ArtProcess.run(["repack"], in: b)
      #expect(repack.status == 0, "\(repack.standardError)")
      #expect(try localPacks() == 1)
      try push(4)
      let next = try ArtProcess.run(["fetch", "--json"], in: b)
      #expect(next.status == 0, "\(next.standardError)")
      // Only the new pack is looked at: what was merged still counts as fetched.
      #expect(json(next)["objectsPresent"] as? Int == 0, "\(next.standardOutput)")
      #expect(json(next)["packs"] as? Int == 1, "\(next.standardOutput)")
      // A third small pack here reaches pack.autoMerge: the fetch merges.
      try push(5)
      let third = try ArtProcess.run(["fetch"], in: b)
      #expect(third.status == 0, "\(third.standardError)")
      #expect(third.standardError.contains("merged 3 small packs into 1"), "\(third.standardError)")
      #expect(try localPacks() == 1)
      #expect(try ArtProcess.run(["pull", "-q"], in: b).status == 0)
      let fsck = try ArtProcess.run(["fsck", "--full"], in: b)
      #expect(fsck.status == 0, "\(fsck.standardOutput)\(fsck.standardError)")
      for version in 0...5 {
        #expect(
          try ArtProcess.run(["checkout", "ds:v\(version)", "--to", "out\(version)"], in: b)
            .status == 0)
        #expect(
          try readFile(b.appending("out\(version)/f\(version)"))
            == readFile(a.appending("data/f\(version)")))
      }
    }
  }

  /// A wrong combined table of remote packs costs time, never an object.
  ///
  /// Past 32 remote packs, the table says which pack holds each object, so
  /// a push or fetch opens only the packs new since. It is a hint: a table
  /// whose entries name the wrong pack, or an object the remote lacks, or
  /// one that is garbage, costs time, never an object — pushes still
  /// upload what the remote lacks, remote reads still find every object,
  /// and a table caught wrong is dropped and made again.
  @Test func aWrongCombinedRemoteIndexNeverLosesAnObject() async throws {
    try await withTemporaryDirectory { folder in
      let a = folder.appending("a")
      try FileManager.default.createDirectory(
        atPath: a.appending("data").string, withIntermediateDirectories: true)
      #expect(try ArtProcess.run(["init"], in: a).status == 0)
      #expect(try ArtProcess.run(["remote", "add", "shared", "../shared"], in: a).status == 0)
      func version(_ round: Int) throws {
        try writeFile(.random(count: 700, seed: UInt64(round)), to: a.appending("data/f\(round)"))
        #expect(try ArtProcess.run(["commit", "ds", "data", "-q"], in: a).status == 0)
        let push = try ArtProcess.run(["push", "-q"], in: a)
        #expect(push.status == 0, "\(push.standardError)")
      }
      for round in 0..<35 { try version(round) }
      let table = a.appending(".art/remotes/shared/packs/combined")
      #expect(FileManager.default.fileExists(atPath: table.string))
      /// Points every entry of the table at the pack after its own.
      func misdirect(_ path: FilePath) throws {
        var bytes = try readFile(path)
        let packs = Int(bytes[8]) | Int(bytes[9]) << 8
        var entry = 24 + packs * 32
        while entry + 36 <= bytes.count {
          let position = (Int(bytes[entry + 32]) | Int(bytes[entry + 33]) << 8 + 1) % packs
          bytes[entry + 32] = UInt8(position & 0xFF)
          bytes[entry + 33] = UInt8(position >> 8)
          entry += 36
        }
        try writeFile(bytes, to: path)
      }
      /// Adds an entry naming `id` in the table's first pack, in order.
      func claim(_ id: ObjectID, in path: FilePath) throws {
        let bytes = try readFile(path)
        let packs = Int(bytes[8]) | Int(bytes[9]) << 8
        let start = 24 + packs * 32
        var entries = stride(from: start, to: bytes.count, by: 36).map {
          Array(bytes[$0..<$0 + 36])
        }
        entries.append(id.bytes + [0, 0, 0, 0])
        entries.sort { $0.lexicographicallyPrecedes($1) }
        var header = Array(bytes[0..<start])
        let count = UInt64(entries.count)
        for i in 0..<8 { header[16 + i] = UInt8(truncatingIfNeeded: count >> (8 * UInt64(i))) }
        try writeFile(header + entries.flatMap { $0 }, to: path)
      }
      // A table that says the remote has the blob of a file it lacks: the
      // pack's own index says otherwise, the push uploads it, and the
      // table is dropped until a later command makes it again.
      let lacking = [UInt8].random(count: 900, seed: 77)
      try claim(ObjectHasher.id(of: lacking), in: table)
      try writeFile(lacking, to: a.appending("data/lacking"))
      try version(35)
      #expect(!FileManager.default.fileExists(atPath: table.string))
      #expect(try ArtProcess.run(["fetch", "-q"], in: a).status == 0)
      #expect(FileManager.default.fileExists(atPath: table.string))
      try writeFile(Array("not a table".utf8), to: table)
      try version(36)
      #expect(try readFile(table).count > 1_000)
      try version(37)
      // A new repository reads old versions from the remote through a
      // misdirected table of its own.
      let c = folder.appending("c")
      try FileManager.default.createDirectory(atPath: c.string, withIntermediateDirectories: true)
      #expect(try ArtProcess.run(["init"], in: c).status == 0)
      #expect(try ArtProcess.run(["remote", "add", "shared", "../shared"], in: c).status == 0)
      #expect(try ArtProcess.run(["show", "shared/ds:v0"], in: c).status == 0)
      let own = c.appending(".art/remotes/shared/packs/combined")
      #expect(FileManager.default.fileExists(atPath: own.string))
      try misdirect(own)
      let out = try ArtProcess.run(["checkout", "shared/ds:v7", "--to", "out"], in: c)
      #expect(out.status == 0, "\(out.standardError)")
      #expect(try readFile(c.appending("out/f7")) == readFile(a.appending("data/f7")))
      #expect(!FileManager.default.fileExists(atPath: own.string))
      // Every version whole in a clone: nothing the pushes needed was skipped.
      #expect(try ArtProcess.run(["clone", "-q", "shared", "b"], in: folder).status == 0)
      let b = folder.appending("b")
      let fsck = try ArtProcess.run(["fsck", "--full"], in: b)
      #expect(fsck.status == 0, "\(fsck.standardOutput)\(fsck.standardError)")
      #expect(try ArtProcess.run(["checkout", "ds:v37", "--to", "out"], in: b).status == 0)
      #expect(try readFile(b.appending("out/lacking")) == lacking)
      for round in 0..<38 {
        #expect(
          try readFile(b.appending("out/f\(round)")) == readFile(a.appending("data/f\(round)")))
      }
    }
  }

  /// `gc --remote` merges the small packs pushes leave.
  ///
  /// One push makes one remote pack; once `pack.autoMerge` have piled up,
  /// gc merges and condemns them. Clones made before and after the
  /// condemned ones go get every version whole, and the merged pack is
  /// never condemned.
  @Test func remoteGCMergesSmallPacks() async throws {
    try await withTemporaryDirectory { folder in
      let a = folder.appending("a")
      try writeFile(Array("first\n".utf8), to: a.appending("data/first"))
      #expect(try ArtProcess.run(["init"], in: a).status == 0)
      let config = a.appending(".art/config")
      try writeFile(try readFile(config) + Array("[pack]\n\tautoMerge = 3\n".utf8), to: config)
      #expect(try ArtProcess.run(["remote", "add", "shared", "../shared"], in: a).status == 0)
      for round in 0..<4 {
        try writeFile(.random(count: 5_000, seed: UInt64(round)), to: a.appending("data/f\(round)"))
        #expect(try ArtProcess.run(["commit", "ds", "data", "-q"], in: a).status == 0)
        #expect(try ArtProcess.run(["push", "-q"], in: a).status == 0)
      }
      let remotePacks = folder.appending("shared/packs")
      func packCount() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: remotePacks.string).count {
          $0.hasSuffix(".pack")
        }
      }
      func gc() throws -> [String: Any] {
        let result = try ArtProcess.run(
          ["gc", "--remote", "shared", "--grace", "1s", "--json"], in: a)
        #expect(result.status == 0, "\(result.standardError)")
        return (try? JSONSerialization.jsonObject(with: Data(result.standardOutputBytes)))
          as? [String: Any] ?? [:]
      }
      func cloneMatches(_ name: String) throws {
        #expect(try ArtProcess.run(["clone", "shared", name], in: folder).status == 0)
        let clone = folder.appending(name)
        #expect(try ArtProcess.run(["fsck", "--full"], in: clone).status == 0)
        for version in 0..<4 {
          let out = "out\(version)"
          #expect(
            try ArtProcess.run(["checkout", "ds:v\(version)", "--to", out], in: clone).status == 0)
          #expect(
            try readFile(clone.appending("\(out)/f\(version)"))
              == readFile(a.appending("data/f\(version)")))
        }
      }
      #expect(try packCount() == 4)
      try await Task.sleep(for: .milliseconds(1_200))
      let merged = try gc()
      #expect(merged["packsMerged"] as? Int == 4, "\(merged)")
      #expect(try packCount() == 5)
      try cloneMatches("b")
      try await Task.sleep(for: .milliseconds(1_200))
      // The merged four go; their objects, live, are in the new pack.
      let swept = try gc()
      #expect(swept["packsDeleted"] as? Int == 4, "\(swept)")
      #expect(swept["packsReprieved"] as? Int == 0, "\(swept)")
      #expect(swept["packsMerged"] as? Int == 0, "\(swept)")
      #expect(try packCount() == 1)
      try cloneMatches("c")
      let again = try gc()
      #expect(again["packsDeleted"] as? Int == 0 && again["packsCondemned"] as? Int == 0)
      #expect(try packCount() == 1)
    }
  }

  @Test func folderRemote() async throws {
    try await withTemporaryDirectory { folder in
      let a = folder.appending("a")
      try writeFile(.random(count: 300_000, seed: 3), to: a.appending("data/x"))
      #expect(try ArtProcess.run(["init"], in: a).status == 0)
      #expect(try ArtProcess.run(["commit", "ds", "data"], in: a).status == 0)
      #expect(try ArtProcess.run(["remote", "add", "shared", "../shared"], in: a).status == 0)
      let push = try ArtProcess.run(["push"], in: a)
      #expect(push.status == 0, "\(push.standardError)")
      #expect(try ArtProcess.run(["clone", "shared", "b"], in: folder).status == 0)
      let b = folder.appending("b")
      #expect(try ArtProcess.run(["checkout", "ds", "--to", "out"], in: b).status == 0)
      #expect(try readFile(b.appending("out/x")) == readFile(a.appending("data/x")))
    }
  }
}

/// The size of the file at `path`.
private func fileSize(_ path: FilePath) throws -> Int {
  (try FileManager.default.attributesOfItem(atPath: path.string)[.size] as? Int) ?? 0
}
