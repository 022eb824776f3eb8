public import ArtCore
public import ArtStore
public import SystemPackage

/// What the UI answers to one request.
public struct UIResponse: Sendable {
  /// What the body is.
  public enum Body: Sendable {
    /// A page, stylesheet, script or SVG.
    case text(String)
    /// A stored file's bytes, read (and checked) as they are sent, from
    /// `repository`, whose lock is held until the last byte is out.
    case content(ObjectID, size: UInt64, repository: Repository)
  }

  /// The HTTP status.
  public var status: Int
  /// The `Content-Type`.
  public var contentType: String
  /// Further headers (`Content-Disposition`, or a stricter policy).
  public var headers: [(name: String, value: String)] = []
  /// The body.
  public var body: Body

  static func page(_ html: String, status: Int = 200) -> UIResponse {
    UIResponse(status: status, contentType: "text/html; charset=utf-8", body: .text(html))
  }
}

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
  /// string `query`.
  public func respond(path: String, query: String) async -> UIResponse {
    let decoded = QueryItem.decode(path[...], plusIsSpace: false)
    return await respond(
      to: Location(path: decoded, query: QueryItem.parse(query[...])), Linker(.server))
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
      return errorPage(ArtError(.io, "\(error)"), linker)
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

/// What every page renderer gets: the open repository, its refs, the
/// request and how to link.
struct PageContext {
  let repository: Repository
  let refs: Refs
  let linker: Linker
  let location: Location

  init(repository: Repository, linker: Linker, location: Location) throws {
    self.repository = repository
    self.refs = try repository.refs.read()
    self.linker = linker
    self.location = location
  }

  /// The version `/…/NAME/vN` names.
  ///
  /// - Throws: ``ArtError`` `.notFound` for an artifact or number that
  ///   does not exist.
  func version(_ name: String, _ number: String) throws -> ResolvedVersion {
    let artifact = try ArtifactName(name)
    guard let wanted = VersionNumber(number),
      let id = refs.versions(of: artifact).first(where: { $0.number == wanted })?.id
    else {
      throw ArtError(
        .notFound, "\(name) has no version \(number)", hint: "see its versions on its page")
    }
    return try repository.loadVersion(id, artifact: artifact, in: refs, number: wanted)
  }

  /// `href` of `location`.
  func href(_ location: Location) -> String { linker.href(location) }

  /// The link to `version`'s page.
  func versionLink(_ version: ResolvedVersion, text: String? = nil) -> String {
    var html = HTML()
    html.link(
      href(.version(version.artifact.text, version.number.value)), text ?? version.label)
    return html.markup
  }
}

/// The frame around every page.
enum Chrome {
  static func page(title: String, body: HTML, linker: Linker, crumbs: [(String, Location?)] = [])
    -> String
  {
    var html = HTML()
    html.raw(
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        + "<meta name=\"referrer\" content=\"no-referrer\"><title>")
    html.text(title)
    html.raw(
      "</title><link rel=\"stylesheet\" href=\"\(HTML.escape(linker.href(.asset("art.css"))))\">"
        + "<script src=\"\(HTML.escape(linker.href(.asset("art.js"))))\" defer></script>"
        + "</head><body><header>")
    html.link(linker.href(.home), "art", class: "brand")
    html.link(linker.href(.home), "Artifacts")
    html.link(linker.href(.gc), "Garbage collection")
    html.raw("<span class=\"where\">\(linker.isLive ? "local, read-only" : "static export")</span>")
    html.raw("</header><main>")
    if !crumbs.isEmpty {
      html.raw("<div class=\"crumbs\">")
      for (index, crumb) in crumbs.enumerated() {
        if index > 0 { html.raw(" / ") }
        if let location = crumb.1 {
          html.link(linker.href(location), crumb.0)
        } else {
          html.text(crumb.0)
        }
      }
      html.raw("</div>")
    }
    html.raw(body.markup)
    html.raw("</main></body></html>")
    return html.markup
  }
}
