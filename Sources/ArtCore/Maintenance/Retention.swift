public import ArtStore

/// How many versions of an artifact gc keeps.
///
/// The newest `keepLast`, and those younger than `keepWithin`, are kept (a
/// version either rule keeps is kept). With neither set, every version is kept (except those past their TTL).
public struct RetentionPolicy: Sendable, Equatable {
  /// Keep the newest N versions.
  public var keepLast: Int?
  /// Keep versions created less than this many milliseconds ago.
  public var keepWithin: Int64?

  /// A policy; nil fields do not keep anything by themselves.
  public init(keepLast: Int? = nil, keepWithin: Int64? = nil) {
    self.keepLast = keepLast
    self.keepWithin = keepWithin
  }

  /// Whether the policy drops anything at all.
  public var isEmpty: Bool { keepLast == nil && keepWithin == nil }
}

/// gc's settings: `[gc]` and `[gc "TYPE"]` in `.art/config`.
public struct GCSettings: Sendable, Equatable {
  /// The policy for artifacts whose type has none of its own.
  public var policy = RetentionPolicy()
  /// Policies by artifact type.
  public var policyByType: [String: RetentionPolicy] = [:]
  /// Packs younger than this (milliseconds) are never deleted or rewritten.
  public var grace: Int64 = 3_600_000
  /// A pack whose dead bytes exceed this fraction is rewritten.
  public var repackThreshold = 0.5
  /// A distributed draft with no new part for this long (milliseconds) is
  /// dropped by gc; until then its data is kept.
  public var draftExpiry: Int64 = 7 * 86_400_000

  /// The defaults: keep everything, 1 hour grace, rewrite packs over half dead.
  public init() {}
}

/// gc's decision about one version, and why.
public struct VersionVerdict: Sendable {
  /// The version.
  public var version: ResolvedVersion
  /// Whether it survives.
  public var keep: Bool
  /// The rule that decided, in words (`--explain`).
  public var reason: String
}

/// Decides which versions gc keeps.
public struct RetentionPlanner: Sendable {
  /// Settings from the config.
  public var settings: GCSettings
  /// A policy from the command line, replacing the config's for every artifact.
  public var override: RetentionPolicy?
  /// Aliases whose versions are never dropped, not even past their TTL.
  ///
  /// `latest` is protected on its own terms: against keep-last and
  /// keep-within, but not against a TTL (it then moves to the newest
  /// version kept), unless it is named here.
  public var protectedAliases: Set<String>
  /// Only artifacts with these names (globs) are subject to the policy; all when empty.
  public var names: [String] = []
  /// Only artifacts with these types are subject to the policy; all when empty.
  public var types: [String] = []
  /// Whether inputs of kept versions may be dropped.
  public var dropInputs = false
  /// Expiry overrides from `art ttl set`, by version id (nil: no expiry).
  public var expiryOverrides: [ObjectID: Int64?] = [:]
  /// The time to judge ages and expiry by, in milliseconds since 1970.
  public var now: Int64

  /// A planner judging at `now`.
  public init(
    settings: GCSettings, override: RetentionPolicy?, protectedAliases: Set<String>, now: Int64
  ) {
    self.settings = settings
    self.override = override
    self.protectedAliases = protectedAliases
    self.now = now
  }

  /// A verdict for every live version, oldest first within each artifact.
  ///
  /// `records` holds version records the caller has read already, each
  /// as the store gave it for its id (they are not read or hashed again).
  ///
  /// - Throws: ``ArtError`` when a version record cannot be read.
  public func plan(
    _ refs: Refs, repository: Repository, records: [ObjectID: VersionRecord] = [:]
  ) throws -> [VersionVerdict] {
    var verdicts: [VersionVerdict] = []
    var indexByID: [ObjectID: Int] = [:]
    for artifact in refs.artifacts {
      let versions = try refs.versions(of: artifact).map {
        try repository.loadVersion(
          $0.id, artifact: artifact, in: refs, number: $0.number, record: records[$0.id])
      }
      let aliasesByVersion = refs.aliasesByVersion(of: artifact)
      guard let type = versions.last?.record.type else { continue }
      let selected =
        (names.isEmpty || names.contains { glob($0, artifact.text) })
        && (types.isEmpty || types.contains(type))
      let policy = override ?? settings.policyByType[type] ?? settings.policy
      for (rank, version) in versions.reversed().enumerated() {
        let aliases = (aliasesByVersion[version.id] ?? []).map(\.text)
        let verdict = judge(
          version, rank: rank, aliases: aliases, selected: selected, policy: policy)
        indexByID[version.id] = verdicts.count
        verdicts.append(verdict)
      }
    }
    // Inputs of kept versions are kept, transitively.
    if !dropInputs {
      var queue = verdicts.indices.filter { verdicts[$0].keep }
      while let index = queue.popLast() {
        let keeper = verdicts[index].version
        for input in keeper.record.inputs {
          guard let inputIndex = indexByID[input], !verdicts[inputIndex].keep else { continue }
          verdicts[inputIndex].keep = true
          verdicts[inputIndex].reason = "input of kept \(keeper.label)"
          queue.append(inputIndex)
        }
      }
    }
    return verdicts
  }

  private func judge(
    _ version: ResolvedVersion, rank: Int, aliases: [String], selected: Bool,
    policy: RetentionPolicy
  ) -> VersionVerdict {
    func verdict(_ keep: Bool, _ reason: String) -> VersionVerdict {
      VersionVerdict(version: version, keep: keep, reason: reason)
    }
    let expires = expiryOverrides[version.id] ?? version.record.expires
    let expired = expires.map { $0 <= now } ?? false
    let protected = aliases.filter { protectedAliases.contains($0) }
    if !protected.isEmpty {
      return verdict(
        true,
        "carries protected alias \(protected.joined(separator: ", "))"
          + (expired ? " (wins over its expired TTL)" : ""))
    }
    if !selected { return verdict(true, "not selected by --name/--type") }
    if let expires, expired {
      return verdict(
        false,
        "TTL expired \(DurationText.text(max(1000, now.subtractingSaturating(expires)))) ago"
          + (aliases.contains("latest") ? "; latest moves to the newest version kept" : ""))
    }
    if aliases.contains("latest") {
      return verdict(true, "carries latest (kept by every retention policy, not by a TTL)")
    }
    if policy.isEmpty { return verdict(true, "no retention policy for its type") }
    if let last = policy.keepLast, rank < last {
      return verdict(true, "one of the newest \(last)")
    }
    if let within = policy.keepWithin, version.record.created > now.subtractingSaturating(within) {
      return verdict(true, "younger than \(DurationText.text(within))")
    }
    let rules = [
      policy.keepLast.map { "not one of the newest \($0)" },
      policy.keepWithin.map { "older than \(DurationText.text($0))" },
    ].compactMap { $0 }
    return verdict(false, rules.joined(separator: " and "))
  }
}

/// Whether `text` matches the glob `pattern` (`*`, `?`, `[a-z]`; see ``Glob``).
func glob(_ pattern: String, _ text: String) -> Bool {
  globMatches(Array(pattern.utf8)[...], Array(text.utf8)[...])
}
