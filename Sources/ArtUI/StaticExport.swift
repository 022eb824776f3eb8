import ArtCore
import ArtStore
public import SystemPackage

/// `art ui --export DIR`: the same pages as a static site in one folder,
/// links relative, openable from disk with no server.
///
/// Pages are found by following links from the artifacts page. Only the
/// first page of each file preview is written (previews stay bounded, and
/// the files' bytes are not copied), downloads and image previews are left
/// out, and at most `maximumPages` pages are written. File names are
/// hashes of the pages' addresses, so no name from a version becomes a
/// file name, and every file is written through the confined writer.
public struct StaticExport: Sendable {
  /// The pages.
  public var site: UISite
  /// The most pages written.
  public var maximumPages: Int

  /// An export of `site`, at most `maximumPages` pages.
  public init(site: UISite, maximumPages: Int = 5000) {
    self.site = site
    self.maximumPages = maximumPages
  }

  /// What was written.
  public struct Result: Sendable {
    /// Pages written.
    public var pages = 0
    /// Pages linked but not written (past ``StaticExport/maximumPages``).
    public var left = 0
    /// Pages that showed an error (a damaged object, say), written as such.
    public var errors = 0
  }

  /// The file that marks a folder as an export, so a later export may
  /// write over it.
  static let marker = ".art-ui-export"

  /// Writes the site into `directory`: a new or empty folder, or one an
  /// earlier export wrote; never inside a `.art` folder.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` for a folder holding other
  ///   files, or when the folder cannot be written.
  public func write(to directory: FilePath) async throws -> Result {
    let store = site.root.appending(Repository.directoryName)
    try ConfinedWriter.refuseInsideRepositoryFolder(directory, store: store)
    if let names = Self.names(in: directory), !names.isEmpty, !names.contains(Self.marker) {
      throw ArtError(
        .invalidArgument, "'\(directory)' holds files that are not an earlier export",
        hint: "export into a new or empty folder")
    }
    let writer = try ConfinedWriter(top: directory, create: true, outside: store)
    try Self.write(Array("written by art ui --export\n".utf8), name: Self.marker, with: writer)
    for (name, asset) in Assets.files {
      try Self.write(Array(asset.text.utf8), name: name, with: writer)
    }
    var result = Result()
    var queue: [Location] = [.home]
    var seen: Set<Location> = [.home]
    var next = 0
    while next < queue.count {
      let location = queue[next]
      next += 1
      guard result.pages < maximumPages else {
        result.left += 1
        continue
      }
      let linker = Linker(.export)
      let response = await site.respond(to: location, linker)
      guard case .text(let text) = response.body else { continue }
      if response.status != 200 { result.errors += 1 }
      try Self.write(Array(text.utf8), name: Linker.exportName(location), with: writer)
      result.pages += 1
      for link in linker.linked where Self.follows(link) && seen.insert(link).inserted {
        queue.append(link)
      }
    }
    return result
  }

  /// The names in `directory`, or nil when it is no folder (yet).
  private static func names(in directory: FilePath) -> [String]? {
    guard let folder = try? FolderHandle.open(directory) else { return nil }
    defer { folder.close() }
    return try? folder.names()
  }

  /// Whether the export writes `location`: not downloads, and only the
  /// first page of a file preview.
  static func follows(_ location: Location) -> Bool {
    if location.path.hasPrefix("/raw/") { return false }
    if location.path.hasPrefix("/f/"), location.page() > 1 { return false }
    return true
  }

  private static func write(_ bytes: [UInt8], name: String, with writer: ConfinedWriter) throws {
    let staged = try writer.stage(try ConfinedPath(name), mode: 0o644)
    do {
      _ = try bytes.withUnsafeBytes { try staged.descriptor.writeAll($0) }
      try staged.place()
    } catch {
      staged.discard()
      throw error
    }
  }
}
