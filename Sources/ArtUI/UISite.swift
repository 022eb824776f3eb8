import ArtCore
import ArtStore
public import SystemPackage

/// The pages of one repository: each request opens it with a shared lock,
/// reads what the page shows and lets go, so no lock outlives a request.
///
/// Nothing here writes to the repository; row diffs of large tables spill
/// to a temporary folder outside it.
public struct UISite: Sendable {
  /// The folder holding `.art`.
  public let root: FilePath
  /// How long a request waits for the repository lock (a running gc).
  public var lockTimeout: Duration
  /// Where large row diffs spill (outside the repository).
  public var scratch: FilePath

  /// The site of the repository at `root`.
  public init(root: FilePath, lockTimeout: Duration = .seconds(60), scratch: FilePath) {
    self.root = root
    self.lockTimeout = lockTimeout
    self.scratch = scratch
  }

  /// Answers a request for `path` (percent-encoded, no query) with query
  /// string `query`, linking to pages under `base` (the server's secret
  /// path prefix; empty in process).
  public func respond(path: String, query: String, base: String = "") async -> UIResponse {
    let decoded = QueryItem.decode(path[...], plusIsSpace: false)
    return await respond(
      to: Location(path: decoded, query: QueryItem.parse(query[...])), Linker(.server(base: base)))
  }

  /// Answers `location`, linking with `linker`.
  func respond(to location: Location, _ linker: Linker) async -> UIResponse {
    let parts = location.components.map(String.init)
    if parts.first == "static", parts.count == 2, let asset = Assets.files[parts[1]] {
      return UIResponse(status: 200, contentType: asset.contentType, body: .text(asset.text))
    }
    do {
      let repository = try open()
      let context = try PageContext(repository: repository, linker: linker, location: location)
      switch (parts.first, parts.count) {
      case (nil, _): return try HomePage.render(context)
      case ("a", 2): return try ArtifactPage.render(context, name: parts[1])
      case ("v", 3):
        return try VersionPage.render(context, version: context.version(parts[1], parts[2]))
      case ("f", 3):
        return try FilePage.render(context, version: context.version(parts[1], parts[2]))
      case ("raw", 3):
        return try FilePage.raw(context, version: context.version(parts[1], parts[2]))
      case ("diff", 1): return try await DiffPage.render(context, scratch: scratch)
      case ("lineage", 3):
        return try LineagePage.render(context, version: context.version(parts[1], parts[2]))
      case ("gc", 1): return try GCPage.render(context)
      default:
        throw ArtError(
          .notFound, "no page '\(location.path)'", hint: "start from the artifacts page")
      }
    } catch let error as ArtError {
      return errorPage(error, linker)
    } catch {
      return errorPage(
        ArtError(
          .io, "\(location.path) could not be shown: \(error)",
          hint: "run 'art fsck' if it persists"), linker)
    }
  }

  /// Opens the repository with a shared lock, held until it is released.
  func open() throws -> Repository {
    try Repository(
      root: root,
      lock: Repository.LockRequest(
        .shared, command: "art ui", timeout: lockTimeout, report: { _ in }))
  }

  private func errorPage(_ error: ArtError, _ linker: Linker) -> UIResponse {
    let status =
      switch error.code {
      case .notFound, .notARepository: 404
      case .invalidArgument, .ambiguous: 400
      case .locked: 503
      default: 500
      }
    var body = HTML()
    body.raw("<h1>Not shown</h1><p class=\"error\">")
    body.text(error.message)
    if let hint = error.hint {
      body.raw("<br><span class=\"muted\">")
      body.text(hint)
      body.raw("</span>")
    }
    body.raw("</p>")
    return .page(Chrome.page(title: "art: error", body: body, linker: linker), status: status)
  }
}
