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
    try self.init(parsing: text[...], knownArtifact: nil)
  }

  /// Parses `name:label`, taking `knownArtifact` as the artifact when its
  /// name is the text's (no check again: a refs file's lines of one
  /// artifact follow one another).
  init(parsing text: Substring, knownArtifact: ArtifactName?) throws {
    guard let colon = text.utf8.firstIndex(of: UInt8(ascii: ":")) else {
      throw ArtError(.invalidArgument, "'\(text)' is not NAME:LABEL")
    }
    let name = text[..<colon]
    if let knownArtifact, knownArtifact.text.utf8.elementsEqual(name.utf8) {
      artifact = knownArtifact
    } else {
      artifact = try ArtifactName(String(name))
    }
    let label = String(text[text.utf8.index(after: colon)...])
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
  /// The first line (1-based) that was out of order when read, if any:
  /// art writes them sorted, so it was edited by hand or crafted.
  public var outOfOrderLine: Int? = nil

  /// No refs.
  public init() {}

  /// Version lines whose record was made under another name.
  ///
  /// `ds:v2`, whose record says `ds:v1` because `pull` or a remote
  /// `finish` gave it the next free number, is written
  /// `ds:v2 ID from ds:v1`.
  public private(set) var origins: [RefName: RefName] = [:]

  /// The target of `name`, if the line exists; setting it forgets a
  /// recorded origin (see ``setVersion(_:_:bornAs:)``).
  public subscript(name: RefName) -> Target? {
    get { entries[name] }
    set {
      entries[name] = newValue
      origins[name] = nil
    }
  }

  /// Makes room for `count` lines.
  mutating func reserveCapacity(_ count: Int) { entries.reserveCapacity(count) }

  /// Adds line `name`, a version made as `origin` when not nil; false,
  /// changing nothing, when there is a line of that name already.
  mutating func add(_ name: RefName, _ target: Target, bornAs origin: RefName?) -> Bool {
    guard entries[name] == nil else { return false }
    entries[name] = target
    if let origin { origins[name] = origin }
    return true
  }

  /// Sets version line `name` to `id`, whose record was made as `origin`
  /// (nil or `name` itself: no move).
  public mutating func setVersion(_ name: RefName, _ id: ObjectID, bornAs origin: RefName?) {
    entries[name] = .version(id)
    origins[name] = origin == name ? nil : origin
  }

  /// The name the record of version line `name` was made under.
  public func origin(of name: RefName) -> RefName { origins[name] ?? name }

  /// The live version line of `artifact` naming `id`, if any.
  public func number(of id: ObjectID, in artifact: ArtifactName) -> VersionNumber? {
    for (name, target) in entries where name.artifact == artifact && target == .version(id) {
      if case .version(let number) = name.label { return number }
    }
    return nil
  }

  /// Why `record` cannot be what version line `name` names, or nil: a
  /// record keeps the artifact and number it was made with, so they must
  /// be the line's, or the origin the line records.
  public func mismatch(_ record: VersionRecord, at name: RefName) -> String? {
    let expected = origin(of: name)
    // A line moved from another artifact leaves none behind there.
    if expected.artifact != name.artifact, let moved = entries[name], entries[expected] == moved {
      return "ref \(name) says it was moved from \(expected), which still names the same version"
    }
    guard case .version(let number) = expected.label,
      record.artifact != expected.artifact.text || record.number != number.value
    else { return nil }
    return "ref \(name) points to the record of \(record.artifact):v\(record.number)"
      + (origins[name] == nil ? "" : " (its refs line says it was \(expected))")
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

  /// The aliases of each version of `artifact` that has any, sorted: one
  /// pass over the lines for callers that list every version (asking
  /// ``aliases(of:at:)`` for each would be quadratic in the history).
  public func aliasesByVersion(of artifact: ArtifactName) -> [ObjectID: [Alias]] {
    Dictionary(grouping: aliases(of: artifact), by: \.id).mapValues { $0.map(\.alias) }
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
    // Parsed numbers stop at VersionNumber.maximum: this cannot overflow.
    return VersionNumber(used.max().map { $0 &+ 1 } ?? 0)
  }
}

extension Refs {
  /// Moves every line of `old` to `new`; returns whether anything moved.
  ///
  /// Versions, removed numbers and aliases move, each version line
  /// remembering the name its record was made under. Nothing moves when
  /// `old` has no lines or `new` has any, so applying a recorded rename
  /// again is harmless.
  @discardableResult
  public mutating func rename(_ old: ArtifactName, to new: ArtifactName) -> Bool {
    let moving = entries.keys.filter { $0.artifact == old }
    guard old != new, !moving.isEmpty, !entries.keys.contains(where: { $0.artifact == new })
    else { return false }
    for name in moving {
      let target = entries[name]
      let origin = origin(of: name)
      self[name] = nil
      let moved = RefName(new, name.label)
      if case .version = name.label, case .version(let id)? = target {
        setVersion(moved, id, bornAs: origin)
      } else {
        self[moved] = target
      }
    }
    return true
  }

  /// These refs with every recorded rename that means their artifact
  /// (``ArtifactRename/means(_:)``) applied in order (see ``rename(_:to:)``).
  public func renamed(by renames: [ArtifactRename]) -> Refs {
    var result = self
    for rename in renames where rename.means(result) { result.rename(rename.from, to: rename.to) }
    return result
  }

  /// Pairs of artifacts naming one version record, with it: one version
  /// belongs to one artifact, so this is a rename made differently on two
  /// sides (or crafted refs).
  public func sharedVersions() -> [(ArtifactName, ArtifactName, ObjectID)] {
    var owner: [ObjectID: ArtifactName] = [:]
    var shared: [(ArtifactName, ArtifactName, ObjectID)] = []
    for artifact in artifacts {
      for (_, id) in versions(of: artifact) {
        if let other = owner[id], other != artifact {
          shared.append((other, artifact, id))
        } else {
          owner[id] = artifact
        }
      }
    }
    return shared
  }

  /// What is inconsistent in the lines themselves, one sentence each.
  ///
  /// An alias naming something that is not a live version of its artifact
  /// (a `deleted` one, say, whose record gc would otherwise delete), an
  /// artifact with versions but no `latest`, lines out of order. gc runs
  /// only when there are none; fsck lists them.
  public func problems() -> [String] {
    var found: [String] = []
    if let line = outOfOrderLine { found.append("refs line \(line) is out of order") }
    for (first, second, id) in sharedVersions() {
      found.append(
        "'\(first)' and '\(second)' name the same version \(id.prefix(12)) (renamed "
          + "differently on two sides? keep one name with art mv)")
    }
    for artifact in artifacts {
      let live = versions(of: artifact)
      let ids = Set(live.map(\.id))
      // One version, one line: a record named twice would make two
      // numbers of one version. (Two lines born under one number are fine:
      // clones that each made their v1 renumber theirs on pull.)
      if ids.count != live.count {
        found.append("'\(artifact)' names one version record under two numbers")
      }
      for (alias, id) in aliases(of: artifact) where !ids.contains(id) {
        found.append(
          "alias \(artifact):\(alias) points to \(id.prefix(12)), which is not a version of "
            + "'\(artifact)'")
      }
      if !live.isEmpty, self[RefName(artifact, .alias(.latest))] == nil {
        found.append("'\(artifact)' has versions but no latest line")
      }
    }
    return found
  }
}
