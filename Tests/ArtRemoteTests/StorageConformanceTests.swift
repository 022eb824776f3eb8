import ArtStore
import ArtTestSupport
import Foundation
import Synchronization
import SystemPackage
import Testing

@testable import ArtRemote

/// The same checks of the `RemoteStorage` contract on every backend.
///
/// Each test runs once on a ``FolderStorage`` in a fresh temporary folder
/// and once on an ``S3Storage`` under a key prefix in a fresh bucket of the
/// shared SeaweedFS server (no mock), so what one backend does and the other
/// does not shows up as a failure of one argument. Data is seeded.
@Suite("Remote storage conformance")
struct StorageConformanceTests {
  /// A kind of remote storage.
  enum Backend: CaseIterable, Sendable {
    case folder
    case s3
  }

  /// A fresh, empty storage and what a test needs beside it.
  struct Fixture {
    /// The storage under test.
    let storage: any RemoteStorage
    /// What `storage.location` should say.
    let location: String
    /// An empty folder outside the storage, for files to upload and download.
    let scratch: FilePath
    /// How many unfinished uploads the storage counts after one call of
    /// `leaveUnfinishedUpload`: one on either backend.
    let unfinishedUploads: Int
    /// Leaves what an upload of a key killed half-way leaves behind.
    let leaveUnfinishedUpload: (String) async throws -> Void
  }

  /// Runs `body` with a new, empty storage of `backend`.
  func withStorage(_ backend: Backend, _ body: (Fixture) async throws -> Void) async throws {
    try await withTemporaryDirectory { folder in
      let scratch = folder.appending("scratch")
      try FileManager.default.createDirectory(
        atPath: scratch.string, withIntermediateDirectories: false)
      switch backend {
      case .folder:
        // Not made here: the storage makes its folder when it first writes,
        // and reads and lists before that see an empty remote.
        let root = folder.appending("remote")
        let fixture = Fixture(
          storage: FolderStorage(root: root), location: root.string, scratch: scratch,
          unfinishedUploads: 1,
          leaveUnfinishedUpload: { key in
            // The temporary file an interrupted copy leaves beside its key.
            try writeFile(.random(count: 1000, seed: 77), to: root.appending(key + ".tmp-4242"))
          })
        try await body(fixture)
      case .s3:
        let server = try SeaweedServer.shared()
        let client = S3Client(
          endpoint: server.endpoint, bucket: SeaweedServer.bucketName(), region: "us-east-1",
          credentials: AWSCredentials(
            accessKeyID: server.accessKey, secretAccessKey: server.secretKey))
        try await client.createBucket()
        // Two levels, so that stripping the prefix from listed keys is tested.
        let prefix = "team/conformance"
        let fixture = Fixture(
          storage: S3Storage(client: client, prefix: prefix),
          location: "s3://\(client.bucket)/\(prefix)", scratch: scratch, unfinishedUploads: 1,
          leaveUnfinishedUpload: { key in
            _ = try await client.createMultipartUpload(prefix + "/" + key)
          })
        try await body(fixture)
      }
    }
  }

  /// `key size` of every object below `prefix`, sorted (the protocol
  /// promises no order).
  func listed(_ storage: any RemoteStorage, _ prefix: String) async throws -> [String] {
    try await storage.list(prefix).map { "\($0.key) \($0.size)" }.sorted()
  }

  /// Milliseconds since 1970, now.
  func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

  @Test(arguments: Backend.allCases)
  func locationNamesTheRemote(_ backend: Backend) async throws {
    try await withStorage(backend) { s in
      #expect(s.storage.location == s.location)
    }
  }

  @Test(arguments: Backend.allCases)
  func writeThenReadReturnsTheBytesAndTheTag(_ backend: Backend) async throws {
    try await withStorage(backend) { s in
      for (index, key) in ["refs", "packs/a b+c.pack", "a/b/c/d"].enumerated() {
        let bytes = [UInt8].random(count: 1000 + index * 333, seed: UInt64(index))
        let tag = try await s.storage.write(key, bytes, condition: nil)
        #expect(!tag.isEmpty, "\(key)")
        let read = try await s.storage.read(key)
        #expect(read?.bytes == bytes, "\(key)")
        // A read's tag is what a later conditional write compares against.
        #expect(read?.tag == tag, "\(key)")
      }
      #expect(
        try await listed(s.storage, "")
          == ["a/b/c/d 1666", "packs/a b+c.pack 1333", "refs 1000"])
    }
  }

  @Test(arguments: Backend.allCases)
  func readOfAMissingKeyIsNil(_ backend: Backend) async throws {
    try await withStorage(backend) { s in
      #expect(try await s.storage.read("refs")?.bytes == nil)
      try await s.storage.write("packs/a.pack", [1, 2, 3], condition: nil)
      #expect(try await s.storage.read("packs/b.pack")?.bytes == nil)
      #expect(try await s.storage.read("other/a.pack")?.bytes == nil)
    }
  }

  @Test(arguments: Backend.allCases)
  func rangedReadReturnsExactlyThoseBytes(_ backend: Backend) async throws {
    try await withStorage(backend) { s in
      let bytes = [UInt8].random(count: 100_000, seed: 11)
      try await s.storage.write("packs/a.pack", bytes, condition: nil)
      let ranges: [Range<UInt64>] = [0..<1, 0..<100, 4096..<8193, 99_999..<100_000, 0..<100_000]
      for range in ranges {
        let expected = Array(bytes[Int(range.lowerBound)..<Int(range.upperBound)])
        #expect(try await s.storage.read("packs/a.pack", range: range) == expected, "\(range)")
      }
      #expect(try await s.storage.read("packs/a.pack", range: 500..<500).isEmpty)
    }
  }

  @Test(arguments: Backend.allCases)
  func rangedReadOfAMissingKeyIsNotFound(_ backend: Backend) async throws {
    try await withStorage(backend) { s in
      let error = await #expect(throws: ArtError.self) {
        try await s.storage.read("packs/none.pack", range: 0..<10)
      }
      #expect(error?.code == .notFound, "\(String(describing: error))")
      #expect(error?.message.contains(s.location) == true, "\(String(describing: error))")
    }
  }

  @Test(arguments: Backend.allCases)
  func rangedReadPastTheEndThrows(_ backend: Backend) async throws {
    try await withStorage(backend) { s in
      try await s.storage.write("packs/a.pack", .random(count: 100, seed: 12), condition: nil)
      // Fewer bytes than asked for must never pass as the range.
      await #expect(throws: ArtError.self) {
        try await s.storage.read("packs/a.pack", range: 90..<110)
      }
      await #expect(throws: ArtError.self) {
        try await s.storage.read("packs/a.pack", range: 100..<101)
      }
    }
  }

  @Test(arguments: Backend.allCases)
  func createOnlyWriteFailsWhenTheKeyExists(_ backend: Backend) async throws {
    try await withStorage(backend) { s in
      let first = Array("v1\n".utf8)
      let tag = try await s.storage.write("refs", first, condition: .absent)
      #expect(try await s.storage.read("refs")?.tag == tag)
      let error = await #expect(throws: ArtError.self) {
        try await s.storage.write("refs", Array("v2\n".utf8), condition: .absent)
      }
      #expect(error?.code == .locked, "\(String(describing: error))")
      #expect(try await s.storage.read("refs")?.bytes == first)
      // Whatever guards the condition (a lock file, say) is not an object.
      #expect(try await listed(s.storage, "") == ["refs 3"])
    }
  }

  @Test(arguments: Backend.allCases)
  func matchingWriteNeedsTheCurrentTag(_ backend: Backend) async throws {
    try await withStorage(backend) { s in
      let first = try await s.storage.write("refs", Array("v1\n".utf8), condition: nil)
      let current = try #require(try await s.storage.read("refs")?.tag)
      let second = try await s.storage.write(
        "refs", Array("v2\n".utf8), condition: .matches(current))
      #expect(second != first)
      #expect(try await s.storage.read("refs")?.bytes == Array("v2\n".utf8))
      #expect(try await s.storage.read("refs")?.tag == second)

      let stale = await #expect(throws: ArtError.self) {
        try await s.storage.write("refs", Array("v3\n".utf8), condition: .matches(first))
      }
      #expect(stale?.code == .locked, "\(String(describing: stale))")
      #expect(try await s.storage.read("refs")?.bytes == Array("v2\n".utf8))

      let third = try await s.storage.write(
        "refs", Array("v3\n".utf8), condition: .matches(second))
      #expect(try await s.storage.read("refs")?.bytes == Array("v3\n".utf8))
      #expect(try await s.storage.read("refs")?.tag == third)
    }
  }

  @Test(arguments: Backend.allCases)
  func matchingWriteOnAMissingKeyIsLocked(_ backend: Backend) async throws {
    try await withStorage(backend) { s in
      // Read by one machine, then removed by another: the swap must fail.
      let tag = try await s.storage.write("refs", Array("v1\n".utf8), condition: nil)
      try await s.storage.delete("refs")
      let error = await #expect(throws: ArtError.self) {
        try await s.storage.write("refs", Array("v2\n".utf8), condition: .matches(tag))
      }
      #expect(error?.code == .locked, "\(String(describing: error))")
      #expect(try await s.storage.read("refs")?.bytes == nil)
    }
  }

  @Test(arguments: Backend.allCases)
  func overwriteReplacesTheWholeObject(_ backend: Backend) async throws {
    try await withStorage(backend) { s in
      let long = [UInt8].random(count: 5000, seed: 21)
      let short = [UInt8].random(count: 10, seed: 22)
      let old = try await s.storage.write("refs", long, condition: nil)
      let new = try await s.storage.write("refs", short, condition: nil)
      // No tail of the longer object may survive.
      #expect(try await s.storage.read("refs")?.bytes == short)
      #expect(try await s.storage.read("refs")?.tag == new)
      #expect(new != old)
      #expect(try await listed(s.storage, "") == ["refs 10"])
      let error = await #expect(throws: ArtError.self) {
        try await s.storage.write("refs", long, condition: .matches(old))
      }
      #expect(error?.code == .locked, "\(String(describing: error))")
    }
  }

  @Test(arguments: Backend.allCases)
  func listReturnsExactlyTheKeysUnderAPrefix(_ backend: Backend) async throws {
    try await withStorage(backend) { s in
      #expect(try await listed(s.storage, "").isEmpty)
      let sizes = [
        "packs/a.pack": 10, "packs/ab/c.idx": 20, "packs/b.pack": 30, "packsX": 40, "refs": 50,
      ]
      for (key, size) in sizes {
        try await s.storage.write(key, .random(count: size, seed: UInt64(size)), condition: nil)
      }
      // A prefix is a string prefix, not a folder.
      #expect(
        try await listed(s.storage, "packs/")
          == ["packs/a.pack 10", "packs/ab/c.idx 20", "packs/b.pack 30"])
      #expect(try await listed(s.storage, "packs/a") == ["packs/a.pack 10", "packs/ab/c.idx 20"])
      #expect(
        try await listed(s.storage, "packs")
          == ["packs/a.pack 10", "packs/ab/c.idx 20", "packs/b.pack 30", "packsX 40"])
      #expect(try await listed(s.storage, "packs/ab/c.idx") == ["packs/ab/c.idx 20"])
      #expect(try await listed(s.storage, "refs") == ["refs 50"])
      #expect(try await listed(s.storage, "nothing/").isEmpty)
      #expect(
        try await listed(s.storage, "")
          == ["packs/a.pack 10", "packs/ab/c.idx 20", "packs/b.pack 30", "packsX 40", "refs 50"])
    }
  }

  @Test(arguments: Backend.allCases)
  func listGivesModifiedTimesInMilliseconds(_ backend: Backend) async throws {
    try await withStorage(backend) { s in
      let before = now()
      try await s.storage.write("packs/a.pack", [1], condition: nil)
      try await s.storage.write("refs", [2], condition: nil)
      let after = now()
      let entries = try await s.storage.list("")
      #expect(entries.map(\.key).sorted() == ["packs/a.pack", "refs"])
      // Remote gc compares these with a grace period: an hour either way
      // is wide enough for any clock resolution and narrow enough to catch
      // seconds, microseconds or a missing time.
      let hour: Int64 = 3_600_000
      #expect(
        entries.allSatisfy { $0.modified > before - hour && $0.modified < after + hour },
        "\(entries) not between \(before) and \(after)")
    }
  }

  @Test(arguments: Backend.allCases)
  func deleteRemovesAndAMissingKeyIsFine(_ backend: Backend) async throws {
    try await withStorage(backend) { s in
      try await s.storage.write("packs/a.pack", [1, 2, 3], condition: nil)
      try await s.storage.write("packs/b.pack", [4, 5], condition: nil)
      try await s.storage.delete("packs/a.pack")
      #expect(try await s.storage.read("packs/a.pack")?.bytes == nil)
      #expect(try await listed(s.storage, "") == ["packs/b.pack 2"])
      // Deleting again, or a key that never was, must not throw.
      try await s.storage.delete("packs/a.pack")
      try await s.storage.delete("no/such/key")
      #expect(try await s.storage.read("packs/b.pack")?.bytes == [4, 5])
    }
  }

  @Test(arguments: Backend.allCases)
  func enforcesConditionsAndLeavesNothingBehind(_ backend: Backend) async throws {
    try await withStorage(backend) { s in
      // SeaweedFS enforces conditional writes (S3ClientTests), so both must say so.
      let enforced = try await s.storage.enforcesConditions()
      #expect(enforced)
      let left = try await listed(s.storage, "")
      #expect(left.isEmpty)
    }
  }

  /// Uploads `bytes` as `key` from a file in the scratch folder, downloads
  /// it to another, and checks every step on the way.
  func roundTrip(_ s: Fixture, key: String, bytes: [UInt8]) async throws {
    let source = s.scratch.appending("source")
    let target = s.scratch.appending("downloaded")
    try writeFile(bytes, to: source)
    let size = UInt64(bytes.count)

    let sent = Mutex<UInt64>(0)
    let resumed = try await s.storage.upload(key, from: source, size: size) { count in
      sent.withLock { $0 += count }
    }
    #expect(resumed == 0, "nothing was there before")
    let sentTotal = sent.withLock { $0 }
    #expect(sentTotal == size)
    #expect(try await listed(s.storage, "") == ["\(key) \(size)"])
    #expect(try await s.storage.read(key)?.bytes == bytes)

    let received = Mutex<UInt64>(0)
    try await s.storage.download(key, to: target, size: size) { count in
      received.withLock { $0 += count }
    }
    let receivedTotal = received.withLock { $0 }
    #expect(receivedTotal == size)
    #expect(try readFile(target) == bytes)
    // No temporary file is left beside the download.
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: s.scratch.string).sorted()
        == ["downloaded", "source"])
    // A finished upload is not an unfinished one.
    #expect(try await s.storage.dropUnfinishedUploads("", olderThan: 0, dryRun: true) == 0)
  }

  @Test(arguments: Backend.allCases, [0, 1, 100_003])
  func uploadAndDownloadRoundTrip(_ backend: Backend, size: Int) async throws {
    try await withStorage(backend) { s in
      let bytes = [UInt8].random(count: size, seed: UInt64(size))
      try await roundTrip(s, key: "packs/pack-small.pack", bytes: bytes)
    }
  }

  @Test(arguments: Backend.allCases)
  func uploadAndDownloadRoundTripAcrossParts(_ backend: Backend) async throws {
    try await withStorage(backend) { s in
      // Two whole S3 parts and a short third one (17 MiB with 8 MiB parts).
      let part = Int(transferPartSize)
      let bytes = [UInt8].random(count: 2 * part + 12_345, seed: 31)
      try await roundTrip(s, key: "packs/pack-large.pack", bytes: bytes)
      let across = transferPartSize - 100..<transferPartSize + 100
      #expect(
        try await s.storage.read("packs/pack-large.pack", range: across)
          == Array(bytes[part - 100..<part + 100]))
    }
  }

  @Test(arguments: Backend.allCases)
  func downloadOfAMissingKeyThrowsAndLeavesNoFile(_ backend: Backend) async throws {
    try await withStorage(backend) { s in
      let target = s.scratch.appending("downloaded")
      await #expect(throws: ArtError.self) {
        try await s.storage.download("packs/none.pack", to: target, size: 1000) { _ in }
      }
      let left = try FileManager.default.contentsOfDirectory(atPath: s.scratch.string)
      #expect(left.isEmpty)
    }
  }

  @Test(arguments: Backend.allCases)
  func dryRunDropOfUnfinishedUploadsChangesNothing(_ backend: Backend) async throws {
    try await withStorage(backend) { s in
      let refs = [UInt8].random(count: 50, seed: 41)
      let storage = s.storage
      try await storage.write("refs", refs, condition: nil)
      try await storage.write("packs/a.pack", [1, 2, 3], condition: nil)
      try await s.leaveUnfinishedUpload("packs/pack-killed.pack")
      let counted = s.unfinishedUploads
      #expect(
        try await storage.dropUnfinishedUploads("packs/", olderThan: 0, dryRun: true) == counted)
      // Counted again: the dry run dropped nothing.
      #expect(
        try await storage.dropUnfinishedUploads("packs/", olderThan: 0, dryRun: true) == counted)
      #expect(try await storage.dropUnfinishedUploads("refs", olderThan: 0, dryRun: true) == 0)
      // Started just now, so not older than an hour.
      #expect(
        try await storage.dropUnfinishedUploads("packs/", olderThan: 3_600_000, dryRun: true) == 0)
      // An unfinished upload is not an object.
      #expect(try await listed(storage, "") == ["packs/a.pack 3", "refs 50"])
      #expect(try await storage.read("refs")?.bytes == refs)

      #expect(
        try await storage.dropUnfinishedUploads("packs/", olderThan: 0, dryRun: false) == counted)
      #expect(try await storage.dropUnfinishedUploads("packs/", olderThan: 0, dryRun: true) == 0)
      #expect(try await listed(storage, "") == ["packs/a.pack 3", "refs 50"])
    }
  }
}
