import ArtStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Text forms shared by commands.
enum Formatting {
  /// `1.5 MiB`-style size.
  static func bytes(_ count: UInt64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    var value = Double(count)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
      value /= 1024
      unit += 1
    }
    if unit == 0 { return "\(count) B" }
    let tenths = (value * 10).rounded() / 10
    return "\(tenths) \(units[unit])"
  }

  /// `2026-11-27 05:40:20Z`-style UTC time for milliseconds since 1970.
  static func time(_ milliseconds: Int64) -> String {
    let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    return date.formatted(
      .iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false)
        .timeSeparator(.colon).dateTimeSeparator(.space))
  }

  /// `1 file`, `2 files`.
  static func count(_ number: Int, _ noun: String) -> String {
    "\(number) \(noun)\(number == 1 ? "" : "s")"
  }

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
