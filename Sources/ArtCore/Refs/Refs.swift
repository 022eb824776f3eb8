public import ArtStore

/// What a label names: an artifact's version number or one of its aliases.
public enum RefLabel: Hashable, Sendable, CustomStringConvertible {
  /// `vN`.
  case version(VersionNumber)
  /// An alias such as `latest` or `production`.
  case alias(Alias)

  public var description: String {
    switch self {
    case .version(let number): "\(number)"
    case .alias(let alias): "\(alias)"
    }
  }
}

/// One line's key in the refs file: `name:v3` or `name:production`.
public struct RefName: Hashable, Sendable, CustomStringConvertible {
  /// The artifact.
  public var artifact: ArtifactName
  /// The version number or alias.
  public var label: RefLabel

  /// A ref name.
  public init(_ artifact: ArtifactName, _ label: RefLabel) {
    self.artifact = artifact
    self.label = label
  }

  /// Parses `name:label`.
  ///
  /// - Throws: ``ArtError`` with code `.invalidArgument`.
  public init(parsing text: String) throws {
    guard let colon = text.firstIndex(of: ":") else {
      throw ArtError(.invalidArgument, "'\(text)' is not NAME:LABEL")
    }
    artifact = try ArtifactName(String(text[..<colon]))
    let label = String(text[text.index(after: colon)...])
    if let number = VersionNumber(label) {
      self.label = .version(number)
    } else {
      self.label = .alias(try Alias(label))
    }
  }

  public var description: String { "\(artifact):\(label)" }
}

/// The whole refs file: which versions exist and where every alias points.
///
/// A removed version keeps a `deleted` line, so its number is never reused.
public struct Refs: Sendable, Equatable {
  /// What a version line holds.
  public enum Target: Sendable, Equatable {
    /// The version record's id.
    case version(ObjectID)
    /// The version was removed; its number stays taken.
    case deleted
  }

  /// Every line, by ref name.
  public private(set) var entries: [RefName: Target] = [:]

  /// No refs.
  public init() {}

  /// The target of `name`, if the line exists.
  public subscript(name: RefName) -> Target? {
    get { entries[name] }
    set { entries[name] = newValue }
  }

  /// Artifacts with at least one line, sorted.
  public var artifacts: [ArtifactName] {
    Set(entries.keys.map(\.artifact)).sorted()
  }

  /// Live versions of `artifact`, oldest first.
  public func versions(of artifact: ArtifactName) -> [(number: VersionNumber, id: ObjectID)] {
    entries.compactMap { name, target -> (VersionNumber, ObjectID)? in
      guard name.artifact == artifact, case .version(let number) = name.label,
        case .version(let id) = target
      else { return nil }
      return (number, id)
    }.sorted { $0.0 < $1.0 }
  }

  /// Aliases of `artifact` and the versions they name, sorted by alias.
  public func aliases(of artifact: ArtifactName) -> [(alias: Alias, id: ObjectID)] {
    entries.compactMap { name, target -> (Alias, ObjectID)? in
      guard name.artifact == artifact, case .alias(let alias) = name.label,
        case .version(let id) = target
      else { return nil }
      return (alias, id)
    }.sorted { $0.0 < $1.0 }
  }

  /// Aliases pointing at version `id`.
  public func aliases(of artifact: ArtifactName, at id: ObjectID) -> [Alias] {
    aliases(of: artifact).filter { $0.id == id }.map(\.alias)
  }

  /// The number the next version of `artifact` gets: one past every number
  /// ever used, removed ones included.
  public func nextNumber(of artifact: ArtifactName) -> VersionNumber {
    let used = entries.keys.compactMap { name -> UInt64? in
      guard name.artifact == artifact, case .version(let number) = name.label else { return nil }
      return number.value
    }
    return VersionNumber(used.max().map { $0 + 1 } ?? 0)
  }
}
