import ArtCore
import ArtStore
import SystemPackage

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
