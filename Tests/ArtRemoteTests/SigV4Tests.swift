import Foundation
import Testing

@testable import ArtRemote

/// AWS's published Signature Version 4 examples.
@Suite("SigV4")
struct SigV4Tests {
  /// 2013-05-24T00:00:00Z, the S3 documentation's examples.
  let s3Time = Date(timeIntervalSince1970: 1_369_353_600)
  let s3Example = SigV4Signer(
    credentials: AWSCredentials(
      accessKeyID: "AKIAIOSFODNN7EXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    region: "us-east-1")

  func signature(_ headers: [(String, String)]) -> String? {
    headers.first { $0.0 == "authorization" }?.1.components(separatedBy: "Signature=").last
  }

  @Test func testSuiteGetVanilla() {
    let signer = SigV4Signer(
      credentials: AWSCredentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
      region: "us-east-1", service: "service")
    let headers = signer.sign(
      method: "GET", path: "/", headers: [("Host", "example.amazonaws.com")],
      payloadHash: SigV4Signer.emptyPayloadHash,
      date: Date(timeIntervalSince1970: 1_440_938_160))
    #expect(
      headers.first { $0.0 == "authorization" }?.1
        == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        + "SignedHeaders=host;x-amz-date, "
        + "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
  }

  @Test func s3GetObjectWithRange() {
    let headers = s3Example.sign(
      method: "GET", path: "/test.txt",
      headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")],
      payloadHash: SigV4Signer.emptyPayloadHash, date: s3Time)
    #expect(
      signature(headers) == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
  }

  @Test func s3PutObjectWithAnEncodedKey() {
    let body = "Welcome to Amazon S3."
    let hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
    #expect(body.utf8.count == 21)
    let headers = s3Example.sign(
      method: "PUT", path: "/test$file.text",
      headers: [
        ("Host", "examplebucket.s3.amazonaws.com"), ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
      ], payloadHash: hash, date: s3Time)
    #expect(
      signature(headers) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
  }

  @Test func s3ListObjectsWithAQuery() {
    let headers = s3Example.sign(
      method: "GET", path: "/", query: [("prefix", "J"), ("max-keys", "2")],
      headers: [("Host", "examplebucket.s3.amazonaws.com")],
      payloadHash: SigV4Signer.emptyPayloadHash, date: s3Time)
    #expect(
      signature(headers) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    let lifecycle = s3Example.sign(
      method: "GET", path: "/", query: [("lifecycle", "")],
      headers: [("Host", "examplebucket.s3.amazonaws.com")],
      payloadHash: SigV4Signer.emptyPayloadHash, date: s3Time)
    #expect(
      signature(lifecycle) == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
  }

  @Test func encodingAndTimestamps() {
    #expect(SigV4Signer.uriEncode("a b/c~d*", encodeSlash: true) == "a%20b%2Fc~d%2A")
    #expect(SigV4Signer.uriEncode("dir/ключ", encodeSlash: false) == "dir/%D0%BA%D0%BB%D1%8E%D1%87")
    #expect(
      SigV4Signer.canonicalQuery([("uploadId", "a/b+c=="), ("partNumber", "2")])
        == "partNumber=2&uploadId=a%2Fb%2Bc%3D%3D")
    #expect(
      SigV4Signer.timestamps(Date(timeIntervalSince1970: 951_782_400)).0 == "20000229T000000Z")
  }

  @Test func credentialsComeFromTheStandardPlaces() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "art-creds-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("credentials")
    try """
    [default]
    aws_access_key_id = DEFAULTKEY
    aws_secret_access_key = defaultsecret
    # a comment
    [ci]
    aws_access_key_id=CIKEY
    aws_secret_access_key=cisecret
    aws_session_token=token
    [broken]
    aws_access_key_id = ONLYKEY
    """.write(to: file, atomically: true, encoding: .utf8)
    let variables = AWSCredentials(accessKeyID: "ENVKEY", secretAccessKey: "envsecret")
    #expect(
      try AWSCredentials.standard(environment: [
        "AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "envsecret",
        "AWS_SHARED_CREDENTIALS_FILE": file.path,
      ]) == variables)
    #expect(
      try AWSCredentials.standard(environment: ["AWS_SHARED_CREDENTIALS_FILE": file.path])?
        .accessKeyID == "DEFAULTKEY")
    let ci = try AWSCredentials.standard(environment: [
      "AWS_SHARED_CREDENTIALS_FILE": file.path, "AWS_PROFILE": "ci",
    ])
    #expect(
      ci == AWSCredentials(accessKeyID: "CIKEY", secretAccessKey: "cisecret", sessionToken: "token")
    )
    #expect(throws: CredentialsError.self) {
      try AWSCredentials.standard(environment: [
        "AWS_SHARED_CREDENTIALS_FILE": file.path, "AWS_PROFILE": "broken",
      ])
    }
    #expect(throws: CredentialsError.self) {
      try AWSCredentials.standard(environment: [
        "AWS_SHARED_CREDENTIALS_FILE": file.path, "AWS_PROFILE": "nope",
      ])
    }
    #expect(
      try AWSCredentials.standard(environment: [
        "AWS_SHARED_CREDENTIALS_FILE": folder.appendingPathComponent("none").path
      ]) == nil)
  }
}
