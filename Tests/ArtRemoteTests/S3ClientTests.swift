import ArtStore
import ArtTestSupport
import Foundation
import Testing

@testable import ArtRemote

/// The S3 client against a real SeaweedFS on loopback (no mock).
@Suite("S3 client on SeaweedFS")
struct S3ClientTests {
  @Test func objectsConditionsAndErrors() async throws {
    do {
      let server = try SeaweedServer.shared()
      let bucket = SeaweedServer.bucketName()
      let credentials = AWSCredentials(
        accessKeyID: server.accessKey, secretAccessKey: server.secretKey)
      let s3 = S3Client(
        endpoint: server.endpoint, bucket: bucket, region: "us-east-1",
        credentials: credentials)
      try await s3.createBucket()
      try await s3.createBucket()  // ours already: fine

      let body = [UInt8].random(count: 300_000, seed: 1)
      let etag = try await s3.put("packs/a b+c.pack", body)
      #expect(!etag.isEmpty)
      #expect(try await s3.get("packs/a b+c.pack") == body)
      #expect(try await s3.get("packs/a b+c.pack", range: 1000...1999) == Array(body[1000...1999]))
      #expect(try await s3.head("packs/a b+c.pack")?.size == 300_000)
      #expect(try await s3.head("packs/none") == nil)
      #expect(try await s3.get("packs/none") == nil)
      try await s3.put("packs/b.pack", [1, 2, 3])
      try await s3.put("refs/x", [4])
      let listed = try await s3.list(prefix: "packs/")
      #expect(listed.map(\.key) == ["packs/a b+c.pack", "packs/b.pack"])
      #expect(listed.first?.size == 300_000)

      // Compare-and-swap on writes: create-only, then replace-if-unchanged.
      let first = try await s3.put("refs/main", Array("v1".utf8), condition: .absent)
      await #expect(throws: ArtError.self) {
        try await s3.put("refs/main", Array("v1'".utf8), condition: .absent)
      }
      let second = try await s3.put("refs/main", Array("v2".utf8), condition: .matches(first))
      await #expect(throws: ArtError.self) {
        try await s3.put("refs/main", Array("v3".utf8), condition: .matches(first))
      }
      #expect(second != first)
      #expect(try await s3.get("refs/main") == Array("v2".utf8))

      try await s3.delete("packs/b.pack")
      try await s3.delete("packs/b.pack")
      #expect(try await s3.list(prefix: "packs/").count == 1)

      // Wrong keys, a missing bucket, a server that is down: clear errors.
      let wrong = S3Client(
        endpoint: server.endpoint, bucket: bucket, region: "us-east-1",
        credentials: AWSCredentials(accessKeyID: server.accessKey, secretAccessKey: "wrong"))
      let refused = await #expect(throws: ArtError.self) { try await wrong.get("refs/main") }
      #expect(
        refused?.message.contains("refuses the credentials") == true,
        "\(String(describing: refused))")
      let missing = S3Client(
        endpoint: server.endpoint, bucket: "no-such-bucket", region: "us-east-1",
        credentials: credentials)
      let noBucket = await #expect(throws: ArtError.self) { try await missing.list(prefix: "") }
      #expect(noBucket?.code == .notFound, "\(String(describing: noBucket))")
      let stopped = S3Client(
        endpoint: "http://127.0.0.1:9", bucket: bucket, region: "us-east-1",
        credentials: credentials)
      let down = await #expect(throws: ArtError.self) { try await stopped.head("refs/main") }
      #expect(down?.message.contains("cannot reach") == true)
    }
  }
}
