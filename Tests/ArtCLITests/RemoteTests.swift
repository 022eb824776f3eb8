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
      let pull = try s.art("pull", in: a)
      #expect(pull.status == 0, "\(pull.standardError)")
      #expect(pull.standardOutput.contains("new: ds:v2"), "\(pull.standardOutput)")
      #expect(try s.art("checkout", "ds:v2", "--to", "v2", in: a).status == 0)
      #expect(try readFile(a.appending("v2/extra.txt")) == Array("new\n".utf8))
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
      let push = try s.start(["push"], in: a, extra: ["ART_TEST_PART_DELAY_MS=400"])
      let client = s.client()
      var parts = 0
      for _ in 0..<200 {
        try await Task.sleep(for: .milliseconds(50))
        for upload in try await client.pendingUploads(prefix: "team/packs/") {
          parts = try await client.uploadedParts(upload.key, uploadID: upload.uploadID).count
        }
        if parts >= 2 { break }
      }
      #expect(push.isRunning)
      kill(push.processIdentifier, SIGKILL)
      push.waitUntilExit()
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
