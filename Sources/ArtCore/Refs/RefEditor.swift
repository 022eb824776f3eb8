public import ArtStore

/// The changes to refs a user asks for by name: removing a version, and
/// setting or removing an alias.
///
/// Each runs under the refs lock of ``refStore`` and leaves the refs as
/// they were when it throws.
public struct RefEditor: Sendable {
  /// The repository whose refs change.
  public let repository: Repository
  /// Its refs file, with the lock wait and reports to use.
  public let refStore: RefStore

  /// An editor of `repository`'s refs through `refStore`.
  public init(repository: Repository, refStore: RefStore) {
    self.repository = repository
    self.refStore = refStore
  }

  /// What ``remove(_:force:)`` did.
  public struct Removal: Sendable {
    /// Its artifact.
    public var artifact: ArtifactName
    /// The version removed, `name:vN`.
    public var label: String
    /// The aliases it carried, now gone.
    public var aliases: [Alias]
    /// Where `latest` moved when the version carried it; nil otherwise or
    /// when no version of the artifact is left.
    public var newLatest: VersionNumber?
    /// Whether the artifact has no live version left.
    public var artifactEmpty: Bool
  }

  /// Removes the version `spec` names.
  ///
  /// Its number becomes `deleted` (never reused), its aliases go, and
  /// `latest` moves to the newest remaining version. Only the refs are
  /// read, so a version whose record is in a missing pack can still be
  /// removed.
  ///
  /// - Throws: ``ArtError`` `.notFound` for a spec naming no live version,
  ///   `.invalidArgument` for a bare artifact name (no version) or a version
  ///   carrying a protected alias without `force`, or the lock's errors.
  public func remove(_ spec: Spec, force: Bool) throws -> Removal {
    return try refStore.update { refs in
      var spec = spec
      // A bare name would silently mean its newest version; hex digits
      // that name no artifact are an id prefix.
      if case .label(let name, nil) = spec {
        guard refs.versions(of: name).isEmpty, let prefix = try? ObjectIDPrefix(name.text) else {
          throw ArtError(
            .invalidArgument, "'\(name)' names an artifact, not one of its versions",
            hint: "give the version: art rm \(name):vN (or \(name):latest for the newest)")
        }
        spec = .id(prefix)
      }
      let (id, artifact) = try repository.versionID(spec, in: refs)
      guard let number = refs.number(of: id, in: artifact) else {
        throw ArtError(.notFound, "'\(spec)' names no live version")
      }
      let label = "\(artifact):\(number)"
      let aliases = refs.aliases(of: artifact, at: id)
      let protected = aliases.filter {
        repository.configuration.protectedAliases.contains($0.text)
      }
      if !protected.isEmpty && !force {
        throw ArtError(
          .invalidArgument,
          "\(label) carries the protected alias \(protected.map(\.text).joined(separator: ", "))",
          hint: "move the alias first, or use --force")
      }
      refs[RefName(artifact, .version(number))] = .deleted
      for alias in aliases { refs[RefName(artifact, .alias(alias))] = nil }
      var removal = Removal(
        artifact: artifact, label: label, aliases: aliases, newLatest: nil, artifactEmpty: false)
      if let newest = refs.versions(of: artifact).last {
        if aliases.contains(.latest) {
          refs[RefName(artifact, .alias(.latest))] = .version(newest.id)
          removal.newLatest = newest.number
        }
      } else {
        removal.artifactEmpty = true
      }
      return removal
    }
  }

  /// Points `alias` at the version `spec` names; returns that version and
  /// the number the alias pointed at before, if another.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` for `latest` (art moves it),
  ///   `.notFound` for a spec naming no version, or the lock's errors.
  public func setAlias(_ alias: Alias, to spec: Spec) throws -> (
    version: ResolvedVersion, previous: VersionNumber?
  ) {
    guard alias != .latest else { throw Self.latestIsManaged }
    return try refStore.update { refs in
      let version = try repository.resolve(spec, in: refs)
      let name = RefName(version.artifact, .alias(alias))
      var previous: VersionNumber? = nil
      if case .version(let old) = refs[name], old != version.id {
        previous = refs.versions(of: version.artifact).first { $0.id == old }?.number
      }
      refs[name] = .version(version.id)
      return (version, previous)
    }
  }

  /// Removes the alias `name` (`NAME:ALIAS`).
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` for a version's name or
  ///   `latest`, `.notFound` for an alias the artifact does not have, or the
  ///   lock's errors.
  public func removeAlias(_ name: RefName) throws {
    guard case .alias(let alias) = name.label else {
      throw ArtError(
        .invalidArgument, "'\(name)' names a version, not an alias",
        hint: "to remove a version use 'art rm \(name)'")
    }
    guard alias != .latest else { throw Self.latestIsManaged }
    try refStore.update { refs in
      guard refs[name] != nil else {
        let aliases = refs.aliases(of: name.artifact).map(\.alias.text)
        throw ArtError(
          .notFound,
          "'\(name.artifact)' has no alias '\(alias)' (aliases: \(aliases.joined(separator: ", ")))"
        )
      }
      refs[name] = nil
    }
  }

  /// The error for setting or removing `latest` by hand.
  public static let latestIsManaged = ArtError(
    .invalidArgument,
    "'latest' is moved by art to every new version and cannot be set or removed by hand",
    hint: "use another alias, such as 'production'")
}
