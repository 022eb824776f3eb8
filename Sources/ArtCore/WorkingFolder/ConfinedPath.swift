import ArtStore

/// A path inside a destination folder, as `/`-separated components each
/// checked once: not empty, `.` or `..`, without `/`, NUL or newline, valid
/// UTF-8, and never `.art` (at any depth: a `sub/.art/config` would make
/// `sub` a repository for whoever works there).
///
/// Everything that writes into a working folder takes one of these, so a
/// path from a record, a manifest, a remote or the command line cannot
/// leave its destination by its spelling; ``ConfinedWriter`` makes sure no
/// symbolic link on the way can either.
public struct ConfinedPath: Hashable, Sendable, Comparable, CustomStringConvertible {
  /// The checked components; empty for the destination itself.
  public let components: [String]

  /// The destination itself.
  public static let top = ConfinedPath(checked: [])

  private init(checked: [String]) { components = checked }

  /// Checks `text` (components joined by `/`; `""` is ``top``).
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` naming the path and what is
  ///   wrong with it.
  public init(_ text: String) throws {
    if let problem = Self.problem(text) {
      throw ArtError(
        .invalidArgument, "path '\(text)' has \(problem)",
        hint: "give a path relative to the destination, without '..', '.art' or empty parts")
    }
    components = text.isEmpty ? [] : text.split(separator: "/").map(String.init)
  }

  /// Why `text` is not a confined path, or nil when it is.
  public static func problem(_ text: String) -> String? {
    if text.isEmpty { return nil }
    for part in text.split(separator: "/", omittingEmptySubsequences: false) {
      if let problem = ManifestEntry.problem(withName: Array(part.utf8)) { return problem }
    }
    return nil
  }

  /// This path with `name` (a single checked name) below it.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` for a name that is not one.
  public func appending(_ name: String) throws -> ConfinedPath {
    if let problem = ManifestEntry.problem(withName: Array(name.utf8)) {
      throw ArtError(.invalidArgument, "'\(name)' below '\(self)' has \(problem)")
    }
    return ConfinedPath(checked: components + [name])
  }

  /// The folder holding this path; nil for ``top``.
  public var parent: ConfinedPath? {
    components.isEmpty ? nil : ConfinedPath(checked: Array(components.dropLast()))
  }

  /// The last component; nil for ``top``.
  public var name: String? { components.last }

  /// The first `count` components.
  public func prefix(_ count: Int) -> ConfinedPath {
    ConfinedPath(checked: Array(components.prefix(count)))
  }

  /// The components joined by `/`.
  public var description: String { components.joined(separator: "/") }

  /// Whether both name the same place: byte for byte, as the file system
  /// compares names (not as `String` does, which takes composed and
  /// decomposed `é` as equal).
  public static func == (a: ConfinedPath, b: ConfinedPath) -> Bool {
    a.components.elementsEqual(b.components) { $0.utf8.elementsEqual($1.utf8) }
  }

  public func hash(into hasher: inout Hasher) {
    for component in components { hasher.combine(TreePath(component)) }
  }

  public static func < (a: ConfinedPath, b: ConfinedPath) -> Bool {
    a.components.lexicographicallyPrecedes(b.components) {
      $0.utf8.lexicographicallyPrecedes($1.utf8)
    }
  }
}
