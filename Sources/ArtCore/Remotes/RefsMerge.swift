import ArtStore

/// How push and pull combine this repository's refs with a remote's, using
/// what both last agreed on (the merge base, ``Remote/mergeBase()``) to
/// tell who changed what.
///
/// Versions are immutable and numbered per artifact; the same number must
/// name the same version everywhere. Aliases move: one moved on both sides
/// since they last agreed is a conflict for push, and stays as it is here
/// for pull. `latest` is always the newest live version.
public enum RefsMerge {
  /// What a push changes on the remote.
  public struct PushChanges: Sendable {
    /// `name:vN` added.
    public var added: [String] = []
    /// `name:vN` marked deleted (deleted here after it was fetched).
    public var deleted: [String] = []
    /// `name:alias` set or removed.
    public var aliases: [String] = []
    /// Versions that took the remote's next number instead of the one they
    /// have here (see `appending`): number here, number there, id.
    public var renumbered: [(here: VersionNumber, there: VersionNumber, id: ObjectID)] = []

    /// Empty changes.
    public init() {}
  }

  /// Applies this repository's versions and aliases of `artifacts` to the
  /// remote's refs.
  ///
  /// - Parameters:
  ///   - local: this repository's refs.
  ///   - remote: the remote's refs, changed in place.
  ///   - base: what both sides last agreed on (``Remote/mergeBase()``).
  ///   - artifacts: the artifacts pushed.
  ///   - remoteName: names the remote in errors.
  ///   - appending: versions that take the remote's next number when theirs
  ///     is taken there (a distributed draft finished on this machine).
  /// - Returns: what changed.
  /// - Throws: ``ArtError`` `.locked` when the remote has another version
  ///   under a number this repository uses, or an alias moved on both sides.
  public static func push(
    local: Refs, into remote: inout Refs, base: Refs, artifacts: [ArtifactName],
    remoteName: String, appending: Set<ObjectID> = []
  ) throws -> PushChanges {
    var changes = PushChanges()
    for artifact in artifacts {
      for (name, target) in local.entries where name.artifact == artifact {
        guard case .version(let number) = name.label else { continue }
        switch (target, remote[name]) {
        case (.version(let id), nil):
          remote.setVersion(name, id, bornAs: local.origins[name])
          changes.added.append("\(name)")
        case (.version(let id), .version(let other)?) where other != id && appending.contains(id):
          if remote.versions(of: artifact).contains(where: { $0.id == id }) { continue }
          let there = remote.nextNumber(of: artifact)
          remote.setVersion(
            RefName(artifact, .version(there)), id, bornAs: local.origin(of: name))
          changes.renumbered.append((number, there, id))
          changes.added.append("\(artifact):\(there)")
        case (.version(let id), .version(let other)?) where other != id:
          throw conflict(
            "\(remoteName) has another \(artifact):\(number) (\(other.prefix(12)), this "
              + "repository's is \(id.prefix(12)))", remoteName)
        case (.version, .deleted?):
          continue  // deleted there by another repository: stays deleted
        case (.deleted, .version(let id)?) where base[name] == .version(id):
          remote[name] = .deleted
          changes.deleted.append("\(name)")
        default: continue
        }
      }
      for name in aliasNames(of: artifact, in: [local, base]) {
        let (mine, theirs, agreed) = (local[name], remote[name], base[name])
        if mine == theirs || (theirs != agreed && mine == agreed) {
          continue  // the same, or moved only there: left as it is
        }
        if theirs != agreed {
          throw conflict(
            "\(name) was moved on \(remoteName) since this repository last pulled or pushed",
            remoteName)
        }
        remote[name] = mine
        changes.aliases.append("\(name)")
      }
      setLatest(artifact, in: &remote)
    }
    changes.added.sort(by: labelOrder)
    changes.deleted.sort(by: labelOrder)
    changes.aliases.sort(by: labelOrder)
    return changes
  }

  /// The merge base after a push: for each name, the remote's value where
  /// it now equals this repository's, else the base as it was.
  ///
  /// A name the push left different (an alias moved only there, a
  /// version another repository added) was not agreed on: keeping the old
  /// base lets the next pull take the remote's value instead of seeing a
  /// move here to keep, and the next push leave it alone.
  ///
  /// - Parameters:
  ///   - local: the refs pushed.
  ///   - merged: the remote's refs as the push wrote them.
  ///   - base: the base the push merged with.
  /// - Returns: the base to save for the next push or pull.
  public static func base(afterPushing local: Refs, merged: Refs, base: Refs) -> Refs {
    var result = base
    for name in Set(merged.entries.keys).union(base.entries.keys) {
      result[name] = merged[name] == local[name] ? merged[name] : base[name]
    }
    return result
  }

  /// The merge base after a pull: the remote's aliases (each is taken or
  /// kept here to be pushed), and for versions the remote's line where this
  /// repository now has the same, else the base as it was.
  ///
  /// - Parameters:
  ///   - remote: the remote's refs as merged.
  ///   - local: this repository's refs after the merge.
  ///   - base: the base the pull merged with.
  /// - Returns: the base to save for the next push or pull.
  public static func base(afterPulling remote: Refs, local: Refs, base: Refs) -> Refs {
    var result = remote
    for name in Set(remote.entries.keys).union(base.entries.keys) {
      guard case .version = name.label, local[name] != remote[name] else { continue }
      result[name] = base[name]
    }
    return result
  }

  /// The alias names of `artifact` but `latest` that any of `refs` has,
  /// sorted.
  static func aliasNames(of artifact: ArtifactName, in refs: [Refs]) -> [RefName] {
    let names = refs.flatMap { $0.entries.keys }.filter { name in
      guard name.artifact == artifact, case .alias(let alias) = name.label else { return false }
      return alias != .latest
    }
    return Set(names).sorted { "\($0)" < "\($1)" }
  }

  /// `ds:v2` before `ds:v10`: by artifact, then by number or alias.
  static func labelOrder(_ a: String, _ b: String) -> Bool {
    func key(_ text: String) -> (String, Int, String) {
      let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
      let label = parts.count > 1 ? parts[1] : ""
      let number = label.hasPrefix("v") ? Int(label.dropFirst()) : nil
      return (parts[0], number ?? Int.max, label)
    }
    return key(a) < key(b)
  }

  /// What a pull changed here.
  public struct PullChanges: Sendable, Equatable {
    /// `name:vN` added from the remote.
    public var added: [String] = []
    /// Versions made here that took a number the remote had given to
    /// another version: `name:vOLD -> name:vNEW`.
    public var renumbered: [String] = []
    /// Aliases moved to the remote's version.
    public var aliases: [String] = []
    /// Aliases moved both here and there, left as they are here.
    public var keptAliases: [String] = []
    /// `name:vN` that were here and are deleted on the remote since the
    /// sides last agreed (by `art rm` or gc there), deleted here too.
    public var deleted: [String] = []
    /// Journal events (tags, annotations, uses, renames) taken from the remote.
    public var journal = 0
  }

  /// Takes the remote's versions and aliases into this repository's refs.
  ///
  /// - Parameters:
  ///   - remote: the remote's refs.
  ///   - local: this repository's refs, changed in place.
  ///   - base: what both sides last agreed on (``Remote/mergeBase()``).
  /// - Returns: what changed.
  public static func pull(remote: Refs, into local: inout Refs, base: Refs) -> PullChanges {
    var changes = PullChanges()
    for artifact in remote.artifacts {
      let remoteIDs = Set(remote.versions(of: artifact).map(\.id))
      // Versions made here under numbers the remote gave to others move
      // past every number either side used.
      var moving: [(VersionNumber, ObjectID)] = []
      for (name, target) in remote.entries where name.artifact == artifact {
        guard case .version(let number) = name.label, case .version(let mine)? = local[name]
        else { continue }
        if case .version(let id) = target, id != mine { moving.append((number, mine)) }
      }
      var next = max(local.nextNumber(of: artifact).value, remote.nextNumber(of: artifact).value)
      for (number, id) in moving.sorted(by: { $0.0 < $1.0 }) where !remoteIDs.contains(id) {
        let new = VersionNumber(next)
        next += 1
        local.setVersion(
          RefName(artifact, .version(new)), id,
          bornAs: local.origin(of: RefName(artifact, .version(number))))
        changes.renumbered.append("\(artifact):\(number) -> \(artifact):\(new)")
      }
      for (name, target) in remote.entries where name.artifact == artifact {
        switch name.label {
        case .version:
          guard local[name] != target else { continue }
          // Deleted here after both sides had it: push deletes it there. A
          // version here deleted under a number another clone then used
          // for its own is no reason to refuse that one.
          if case .deleted? = local[name], case .version = target, base[name] == target {
            continue
          }
          if case .deleted = target {
            switch local[name] {
            case .version(let mine)? where base[name] == .version(mine):
              // The version both sides had: deleted here too.
              changes.deleted.append("\(name)")
              local[name] = .deleted
            case .version?:
              // Made here under a number the remote used and deleted: it
              // stays (whether it is the deleted one cannot be told
              // without a base that names it).
              continue
            default:
              local[name] = .deleted
            }
            continue
          }
          if case .version(let id) = target {
            if local[name] == nil || local[name] == .deleted { changes.added.append("\(name)") }
            local.setVersion(name, id, bornAs: remote.origins[name])
          }
        case .alias:
          continue
        }
      }
      // Aliases set, moved or removed there since the sides agreed, and
      // not here: taken. Changed on both sides: kept as they are here.
      for name in aliasNames(of: artifact, in: [remote, base, local]) {
        let (mine, theirs, agreed) = (local[name], remote[name], base[name])
        if mine == theirs || theirs == agreed { continue }
        if mine == agreed {
          local[name] = theirs
          changes.aliases.append(theirs == nil ? "\(name) (removed)" : "\(name)")
        } else {
          changes.keptAliases.append("\(name)")
        }
      }
      setLatest(artifact, in: &local)
    }
    changes.added.sort(by: labelOrder)
    changes.aliases.sort(by: labelOrder)
    changes.keptAliases.sort(by: labelOrder)
    changes.deleted.sort(by: labelOrder)
    return changes
  }

  /// Points `latest` of `artifact` at its newest live version.
  static func setLatest(_ artifact: ArtifactName, in refs: inout Refs) {
    // With no live version left, no latest either (it would name a
    // removed one).
    refs[RefName(artifact, .alias(.latest))] = refs.versions(of: artifact).last.map {
      .version($0.id)
    }
  }

  private static func conflict(_ detail: String, _ remote: String) -> ArtError {
    ArtError(
      .conflict, "remote changed: \(detail)",
      hint: "run 'art pull \(remote)' to take its changes, then push again")
  }
}
