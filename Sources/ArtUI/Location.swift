import Crypto

/// A page or resource of the UI: a path and query items, as the server
/// sees it (`/v/ds/v3?dir=images&page=2`).
///
/// Paths hold only artifact names and version numbers, whose characters
/// are checked when they are made; file paths, specs and filters from
/// users or versions go in query items, percent-encoded.
struct Location: Hashable, Sendable {
  /// The path, starting with `/`.
  var path: String
  /// Query items in order; empty values are left out.
  var query: [QueryItem] = []

  /// `path?name=value&…`, percent-encoded.
  var serverURL: String { queryString.isEmpty ? path : path + "?" + queryString }

  /// `name=value&…`, percent-encoded, without the items whose value is empty.
  var queryString: String {
    query.filter { !$0.value.isEmpty }
      .map { QueryItem.encode($0.name) + "=" + QueryItem.encode($0.value) }
      .joined(separator: "&")
  }

  /// The value of query item `name`, or nil.
  func value(_ name: String) -> String? { query.first { $0.name == name }?.value }

  /// The values of every query item `name`.
  func values(_ name: String) -> [String] { query.filter { $0.name == name }.map(\.value) }

  /// The value of query item `name` as a page number, 1 when absent or not
  /// a positive number.
  func page(_ name: String = "page") -> Int {
    value(name).flatMap { Int($0) }.map { max(1, $0) } ?? 1
  }

  /// The path's components after the leading `/`.
  var components: [Substring] { path.split(separator: "/", omittingEmptySubsequences: true) }
}

extension Location {
  static let home = Location(path: "/")
  static func artifact(_ name: String, page: Int = 1) -> Location {
    Location(path: "/a/\(name)", query: pageItem(page))
  }
  static func version(_ name: String, _ number: UInt64, dir: String = "", page: Int = 1) -> Location
  {
    Location(path: "/v/\(name)/v\(number)", query: [QueryItem("dir", dir)] + pageItem(page))
  }
  static func file(_ name: String, _ number: UInt64, path: String, page: Int = 1) -> Location {
    Location(path: "/f/\(name)/v\(number)", query: [QueryItem("path", path)] + pageItem(page))
  }
  static func raw(_ name: String, _ number: UInt64, path: String, inline: Bool = false) -> Location
  {
    Location(
      path: "/raw/\(name)/v\(number)",
      query: [QueryItem("path", path), QueryItem("inline", inline ? "1" : "")])
  }
  static func diff(_ a: String, _ b: String, rows: String = "") -> Location {
    Location(path: "/diff", query: [QueryItem("a", a), QueryItem("b", b), QueryItem("rows", rows)])
  }
  static func lineage(_ name: String, _ number: UInt64) -> Location {
    Location(path: "/lineage/\(name)/v\(number)")
  }
  static let gc = Location(path: "/gc")
  static func asset(_ name: String) -> Location { Location(path: "/static/\(name)") }

  private static func pageItem(_ page: Int) -> [QueryItem] {
    page > 1 ? [QueryItem("page", "\(page)")] : []
  }
}

/// One `name=value` of a query string.
struct QueryItem: Hashable, Sendable {
  var name: String
  var value: String

  init(_ name: String, _ value: String) {
    self.name = name
    self.value = value
  }

  /// Percent-encodes all but unreserved characters and `/` and `:`.
  static func encode(_ text: String) -> String {
    var result = ""
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
        UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"), UInt8(ascii: ":"):
        result.unicodeScalars.append(Unicode.Scalar(byte))
      default:
        let hex = Array("0123456789ABCDEF".utf8)
        result += "%"
        result.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
        result.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 15)]))
      }
    }
    return result
  }

  /// Decodes `%XX` and, when `plusIsSpace`, `+`; a malformed escape is
  /// kept as it is, and bytes that are not UTF-8 become U+FFFD.
  static func decode(_ text: Substring, plusIsSpace: Bool = true) -> String {
    var bytes: [UInt8] = []
    var utf8 = Array(text.utf8)[...]
    while let byte = utf8.popFirst() {
      if byte == UInt8(ascii: "%"), utf8.count >= 2,
        let high = hexValue(utf8[utf8.startIndex]),
        let low = hexValue(utf8[utf8.startIndex + 1])
      {
        bytes.append(high << 4 | low)
        utf8 = utf8.dropFirst(2)
      } else if byte == UInt8(ascii: "+"), plusIsSpace {
        bytes.append(UInt8(ascii: " "))
      } else {
        bytes.append(byte)
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// `a=1&b=two+words` as items, in order.
  static func parse(_ query: Substring) -> [QueryItem] {
    query.split(separator: "&").map { pair in
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      return QueryItem(decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
    }
  }

  private static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
  }
}

/// How pages link: to the server's URLs, or to the files of a static
/// export (flat, named by a hash of the server URL, so no name from a
/// version ever becomes a file name).
final class Linker {
  /// Served by `art ui`, or written by `art ui --export`.
  enum Mode: Sendable {
    case server
    case export
  }

  let mode: Mode
  /// Pages linked from the page being rendered (export mode), for the
  /// exporter to follow.
  private(set) var linked: [Location] = []

  init(_ mode: Mode) { self.mode = mode }

  /// Whether the UI is served (forms, downloads and image previews work).
  var isLive: Bool { mode == .server }

  /// The `href` of `location`.
  func href(_ location: Location) -> String {
    switch mode {
    case .server:
      return location.serverURL
    case .export:
      if location.path.hasPrefix("/static/") { return String(location.path.dropFirst(8)) }
      linked.append(location)
      return Self.exportName(location)
    }
  }

  /// The file a static export writes `location` to.
  static func exportName(_ location: Location) -> String {
    if location == .home { return "index.html" }
    let digest = SHA256.hash(data: Array(location.serverURL.utf8))
    return "p-" + digest.prefix(10).map { String($0, radix: 16).leftPadded(2) }.joined() + ".html"
  }
}

extension String {
  /// The string padded on the left with zeros to `width`.
  func leftPadded(_ width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
