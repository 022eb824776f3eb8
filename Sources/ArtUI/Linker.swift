import ArtStore

/// How pages link: to the server's URLs, or to the files of a static
/// export (flat, named by a hash of the server URL, so no name from a
/// version ever becomes a file name).
final class Linker {
  /// Served by `art ui`, or written by `art ui --export`.
  enum Mode: Sendable, Equatable {
    /// Served under `base` (a secret path prefix, or empty).
    case server(base: String)
    case export
  }

  let mode: Mode
  /// Pages linked from the page being rendered (export mode), for the
  /// exporter to follow.
  private(set) var linked: [Location] = []

  init(_ mode: Mode) { self.mode = mode }

  /// Whether the UI is served (forms, downloads and image previews work).
  var isLive: Bool { mode != .export }

  /// The `href` of `location`.
  func href(_ location: Location) -> String {
    switch mode {
    case .server(let base):
      return base + location.serverURL
    case .export:
      if location.path.hasPrefix("/static/") { return String(location.path.dropFirst(8)) }
      linked.append(location)
      return Self.exportName(location)
    }
  }

  /// The `action` of a form that asks for the page at `path` (only served
  /// pages have forms).
  func action(_ path: String) -> String {
    HTML.attribute(href(Location(path: path)))
  }

  /// The file a static export writes `location` to.
  static func exportName(_ location: Location) -> String {
    if location == .home { return "index.html" }
    return "p-" + ObjectHasher.id(of: Array(location.serverURL.utf8)).hex.prefix(20) + ".html"
  }
}
