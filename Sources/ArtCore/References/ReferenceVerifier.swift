import ArtStore

/// What `art verify` found of one external reference or bundle entry.
public struct ReferenceVerdict: Sendable {
  /// How it compares with what the version recorded.
  public enum Status: String, Sendable {
    /// As recorded.
    case unchanged
    /// Different from what was recorded.
    case changed
    /// Could not be read.
    case unavailable
    /// A file reference recorded elsewhere, outside `[references] allow`: not read.
    case refused
  }

  /// The entry's path in the version.
  public var path: String
  /// Where it points: the reference's URI, or `art:ID` for a bundle entry.
  public var uri: String
  /// The finding.
  public var status: Status
  /// Why, for anything but unchanged.
  public var detail: String?
}

/// Checks a version's external references against the data they point at
/// and its bundle entries against the store (W&B's `verify`).
public enum ReferenceVerifier {
  /// Every external reference and bundle entry of `version`, whose objects
  /// are in `repository`, sorted by path; file references are read as
  /// `trust` allows.
  ///
  /// - Throws: ``ArtError`` for a damaged tree or reference object.
  public static func verify(
    _ version: ResolvedVersion, in repository: Repository, trust: ReferenceTrust
  ) async throws -> [ReferenceVerdict] {
    let store = repository.store
    let entries = try TreeListing.entries(of: version.record.manifest, in: store)
      .filter { $0.value.kind.pointsOutsideTree }.sorted { $0.key < $1.key }
    var verdicts: [ReferenceVerdict] = []
    // A bundle's versions are in this store: present is unchanged.
    for (path, entry) in entries where entry.kind == .bundle {
      let present = store.contains(entry.id)
      verdicts.append(
        ReferenceVerdict(
          path: path.text, uri: "art:\(entry.id.hex)", status: present ? .unchanged : .unavailable,
          detail: present ? nil : "the version is not in this repository (run 'art fsck')"))
    }
    for (path, entry) in entries where entry.kind == .external {
      let reference = try store.reference(entry.id)
      let verdict: ReferenceVerdict
      switch await ReferenceIO().check(reference, within: trust.folders(for: entry.id)) {
      case .unchanged:
        verdict = ReferenceVerdict(path: path.text, uri: reference.uri, status: .unchanged)
      case .changed(let what):
        verdict = ReferenceVerdict(
          path: path.text, uri: reference.uri, status: .changed, detail: what)
      case .unavailable(let why):
        verdict = ReferenceVerdict(
          path: path.text, uri: reference.uri, status: .unavailable, detail: why)
      case .refused(let why):
        verdict = ReferenceVerdict(
          path: path.text, uri: reference.uri, status: .refused, detail: why)
      }
      verdicts.append(verdict)
    }
    return verdicts
  }
}
