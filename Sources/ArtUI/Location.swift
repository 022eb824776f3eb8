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

  /// The same page with page number `page` (no item for page 1).
  func withPage(_ page: Int) -> Location {
    var next = Location(path: path, query: query.filter { $0.name != "page" })
    if page > 1 { next.query.append(QueryItem("page", "\(page)")) }
    return next
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
