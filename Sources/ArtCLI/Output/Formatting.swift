import ArtCore
import ArtStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Text forms shared by commands.
enum Formatting {
  /// `1.5 MiB`-style size.
  static func bytes(_ count: UInt64) -> String { HumanText.bytes(count) }

  /// RFC 3339 in UTC, `2026-11-27T05:40:20.250Z`: times in JSON.
  static func timestamp(_ milliseconds: Int64) -> String { HumanText.timestamp(milliseconds) }

  /// `1 file`, `2 files`.
  static func count(_ number: Int, _ noun: String) -> String { HumanText.count(number, noun) }

  /// A git-style octal mode: `100644`, `100755`, `120000`, `040755`.
  static func mode(kind: String, permissions: UInt32) -> String {
    let prefix: UInt32
    switch kind {
    case "manifest": prefix = 0o040000
    case "symlink": return "120000"
    default: prefix = 0o100000
    }
    let text = String(prefix | permissions, radix: 8)
    return String(repeating: "0", count: max(0, 6 - text.count)) + text
  }

  /// A JSON value on one line.
  static func compactJSON(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { return "null" }
    return String(decoding: data, as: UTF8.self)
  }

  /// A command's JSON output (`Docs/JSON.md`): the fields of `body`, which
  /// must encode as an object, and `"format": 1`.
  static func document(_ body: some Encodable) -> String {
    json(Document(body: body, listKey: nil))
  }

  /// A command's JSON output that is a list: `{"format": 1, key: [...]}`.
  static func document(_ key: String, _ items: some Encodable) -> String {
    json(Document(body: items, listKey: key))
  }

  /// The version of every JSON document's layout; it changes only if a
  /// field changes meaning or goes away (fields are only ever added).
  static let jsonFormat = 1

  private struct Document<Body: Encodable>: Encodable {
    let body: Body
    let listKey: String?

    struct Key: CodingKey {
      var stringValue: String
      var intValue: Int? { nil }
      init(stringValue: String) { self.stringValue = stringValue }
      init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
      if let listKey {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(body, forKey: Key(stringValue: listKey))
        try container.encode(jsonFormat, forKey: Key(stringValue: "format"))
      } else {
        try body.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(jsonFormat, forKey: Key(stringValue: "format"))
      }
    }
  }

  /// One JSON document with sorted keys and a trailing newline.
  static func json(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }
}

/// `v0-v3, v7, v9-v10` for sorted version numbers.
func ranges(_ numbers: [UInt64]) -> String {
  var parts: [String] = []
  var start = numbers.first
  var previous = numbers.first
  for number in numbers.dropFirst() + [UInt64.max] {
    guard let first = start, let last = previous else { break }
    if number == last + 1 {
      previous = number
      continue
    }
    parts.append(first == last ? "v\(first)" : "v\(first)-v\(last)")
    start = number
    previous = number
  }
  return parts.joined(separator: ", ")
}

extension String {
  /// `value` with two decimals.
  init(format2 value: Double) {
    let scaled = (value * 100).rounded()
    // Crafted sizes can make ratios no Int holds.
    guard scaled.isFinite, abs(scaled) < 1e18 else {
      self = "\(value)"
      return
    }
    let hundredths = Int(scaled)
    let fraction = hundredths % 100
    self = "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
  }
}

/// Parses `1073741824`, `256MiB`, `1GiB`, `10GB`, `512K` (every unit is
/// a power of 1024); 0 only when `allowZero`.
func parseSize(_ text: String, allowZero: Bool = false) throws -> UInt64 {
  let units: [(String, UInt64)] = [
    ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
    ("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30), ("TB", 1 << 40),
    ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("T", 1 << 40), ("B", 1),
  ]
  let minimum: UInt64 = allowZero ? 0 : 1
  for (suffix, scale) in units where text.hasSuffix(suffix) {
    if let number = UInt64(text.dropLast(suffix.count)), number >= minimum {
      let (bytes, overflow) = number.multipliedReportingOverflow(by: scale)
      guard !overflow, bytes <= UInt64(Int64.max) else {
        throw ArtError(
          .invalidArgument, "'\(text)' is too large a size",
          hint: "give at most 8 EiB (9223372036854775807 bytes)")
      }
      return bytes
    }
  }
  if let number = UInt64(text), number >= minimum, number <= UInt64(Int64.max) { return number }
  throw ArtError(
    .invalidArgument, "'\(text)' is not a size",
    hint: "use bytes or KiB/MiB/GiB (also KB/MB/GB, all powers of 1024), e.g. 256MiB")
}
