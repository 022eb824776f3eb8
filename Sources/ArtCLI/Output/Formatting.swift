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
