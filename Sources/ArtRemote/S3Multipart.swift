import ArtStore
import Foundation
import NIOCore
import NIOHTTP1

/// Multipart uploads (create, upload part, complete, abort) and the
/// listings a resumed upload needs.
extension S3Client {
  /// One uploaded part: its number (from 1), size and ETag.
  public struct UploadedPart: Sendable, Equatable {
    /// The part's number, from 1.
    public var number: Int
    /// Its size in bytes.
    public var size: UInt64
    /// Its ETag, quotes included.
    public var etag: String
  }

  /// Starts a multipart upload of `key`; returns its upload id.
  public func createMultipartUpload(_ key: String) async throws -> String {
    let response = try await send("POST", key: key, query: [("uploads", "")])
    try check(response, "start uploading \(key)")
    let xml = String(decoding: response.body, as: UTF8.self)
    guard let id = Self.elements("UploadId", in: xml).first, !id.isEmpty else {
      throw ArtError(.io, "the remote gave no upload id for \(key)")
    }
    return Self.unescape(id)
  }

  /// Uploads part `number` of upload `uploadID` (pack data, sent
  /// unsigned); returns its ETag.
  public func uploadPart(_ key: String, uploadID: String, number: Int, body: ByteBuffer)
    async throws -> String
  {
    try await put(key, buffer: body, query: [("partNumber", "\(number)"), ("uploadId", uploadID)])
  }

  /// Joins the parts into the object `key`.
  public func completeMultipartUpload(
    _ key: String, uploadID: String, parts: [(number: Int, etag: String)]
  ) async throws {
    var xml = "<CompleteMultipartUpload>"
    for part in parts.sorted(by: { $0.number < $1.number }) {
      xml +=
        "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(Self.escape(part.etag))</ETag></Part>"
    }
    xml += "</CompleteMultipartUpload>"
    let response = try await send(
      "POST", key: key, query: [("uploadId", uploadID)], body: Array(xml.utf8))
    try check(response, "finish uploading \(key)")
    // S3 may answer 200 with an error document once the join has started.
    let text = String(decoding: response.body, as: UTF8.self)
    if text.contains("<Error>") {
      let code = Self.elements("Code", in: text).first ?? "an error"
      throw ArtError(.io, "the remote answered \(code) to finish uploading \(key)")
    }
  }

  /// Drops upload `uploadID` and its parts.
  public func abortMultipartUpload(_ key: String, uploadID: String) async throws {
    let response = try await send("DELETE", key: key, query: [("uploadId", uploadID)])
    if response.status == 404 { return }
    try check(response, "abort uploading \(key)")
  }

  /// Unfinished uploads under `prefix`: key, upload id, and when it was
  /// started (`Initiated`, as the server writes it).
  public func pendingUploads(prefix: String) async throws -> [(
    key: String, uploadID: String, initiated: String
  )] {
    let response = try await send("GET", key: nil, query: [("uploads", ""), ("prefix", prefix)])
    try check(response, "list unfinished uploads")
    let xml = String(decoding: response.body, as: UTF8.self)
    return Self.elements("Upload", in: xml).compactMap { upload in
      guard let key = Self.elements("Key", in: upload).first,
        let id = Self.elements("UploadId", in: upload).first
      else { return nil }
      return (
        Self.unescape(key), Self.unescape(id), Self.elements("Initiated", in: upload).first ?? ""
      )
    }
  }

  /// The parts upload `uploadID` of `key` has received.
  public func uploadedParts(_ key: String, uploadID: String) async throws -> [UploadedPart] {
    var parts: [UploadedPart] = []
    var marker = ""
    while true {
      var query = [("uploadId", uploadID)]
      if !marker.isEmpty { query.append(("part-number-marker", marker)) }
      let response = try await send("GET", key: key, query: query)
      if response.status == 404 { return [] }
      try check(response, "list the parts of \(key)")
      let xml = String(decoding: response.body, as: UTF8.self)
      for part in Self.elements("Part", in: xml) {
        guard let number = Self.elements("PartNumber", in: part).first.flatMap({ Int($0) }),
          let size = Self.elements("Size", in: part).first.flatMap({ UInt64($0) })
        else { continue }
        parts.append(
          UploadedPart(
            number: number, size: size,
            etag: Self.unescape(Self.elements("ETag", in: part).first ?? "")))
      }
      guard Self.elements("IsTruncated", in: xml).first == "true",
        let next = Self.elements("NextPartNumberMarker", in: xml).first, next != marker
      else { return parts }
      marker = next
    }
  }

  static func escape(_ text: String) -> String {
    // Quotes stay as they are: some servers compare the ETag text as sent.
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }
}
