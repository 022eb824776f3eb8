import ArtStore

/// The text files art keeps beside the packs (`refs`, `journal`): a header
/// line, the content lines, and last `# sha256 <hex>`, the SHA-256 of every
/// byte above it, so truncation and hand edits are found.
enum ChecksummedLines {
  /// The file's bytes: `header`, `lines` as given, the checksum line.
  static func encode(header: String, _ lines: [String]) -> [UInt8] {
    let body = ([header] + lines).joined(separator: "\n") + "\n"
    let sum = ObjectHasher.id(of: Array(body.utf8))
    return Array((body + "# sha256 \(sum.hex)\n").utf8)
  }

  /// The content lines of `bytes`, between header and checksum, after
  /// checking both; `damaged` makes the error for a detail.
  static func decode(
    _ bytes: [UInt8], header: String, damaged: (String) -> ArtError
  ) throws -> ArraySlice<String> {
    guard String(validating: bytes, as: UTF8.self) != nil else {
      throw damaged("not UTF-8 text")
    }
    // Split on the byte: Swift reads "\r\n" as one Character.
    var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
    if lines.last?.isEmpty == true { lines.removeLast() }
    guard let first = lines.first, first.elementsEqual(header.utf8) else {
      throw damaged("line 1 is not '\(header)'")
    }
    let prefix = Array("# sha256 ".utf8)
    guard lines.count >= 2, let last = lines.last, last.starts(with: prefix) else {
      throw damaged("the checksum line is missing (truncated?)")
    }
    // The sum covers every byte before the checksum line.
    let sum = last.dropFirst(prefix.count).withUnsafeBytes { ObjectID(hexBytes: $0) }
    guard sum == bytes[..<last.startIndex].withUnsafeBytes({ ObjectHasher.id(of: $0) }) else {
      throw damaged("the checksum does not match the contents")
    }
    return lines.dropFirst().dropLast().map { String(decoding: $0, as: UTF8.self) }[...]
  }
}
