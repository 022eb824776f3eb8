import ArtStore

/// Sizes of one version for `art du`.
public struct VersionUsage: Sendable {
  /// The version.
  public var version: ResolvedVersion
  /// Bytes of file content it holds (as checked out).
  public var logical: UInt64
  /// Stored bytes that only this version references.
  public var unique: UInt64
  /// Stored bytes it references that other versions reference too.
  public var shared: UInt64
}

/// What `art du` reports.
public struct DiskUsageReport: Sendable {
  /// The versions measured, artifacts sorted, oldest first.
  public var versions: [VersionUsage] = []
  /// Stored bytes those versions reference (each object once).
  public var referencedBytes: UInt64 = 0
  /// The part of ``referencedBytes`` no other version references: what
  /// removing every version measured would free.
  public var exclusiveBytes: UInt64 = 0
  /// Bytes of all pack files, garbage included.
  public var packBytes: UInt64 = 0

  /// Sum of the versions' logical sizes.
  public var logicalBytes: UInt64 { versions.reduce(0) { $0 &+ $1.logical } }
}

/// Works out logical size, unique and shared stored bytes per version.
public enum DiskUsage {
  /// Usage of the versions of `artifacts` (all when nil); sharing is
  /// counted across every version in the repository, and the totals are
  /// those of the versions measured.
  ///
  /// Stored bytes of an object are its record: a 64-byte header plus its
  /// compressed length.
  public static func measure(_ repository: Repository, artifacts: Set<ArtifactName>?) throws
    -> DiskUsageReport
  {
    let store = repository.store
    let refs = try repository.refs.read()
    var sets: [(ResolvedVersion, Set<ObjectID>)] = []
    var users: [ObjectID: Int] = [:]
    for artifact in refs.artifacts {
      for (number, id) in refs.versions(of: artifact) {
        let version = try repository.loadVersion(
          id, artifact: artifact, in: refs, number: number)
        var reach = Reachability(store: store)
        reach.mark(version: id, label: version.label)
        for object in reach.live { users[object, default: 0] += 1 }
        sets.append((version, reach.live))
      }
    }
    var stored: [ObjectID: UInt64] = [:]
    var report = DiskUsageReport()
    for pack in store.allPacks {
      report.packBytes &+= pack.index.packSize
      for position in 0..<pack.index.count {
        let entry = try pack.index.entry(at: position)
        if users[entry.id] != nil, stored[entry.id] == nil {
          stored[entry.id] = UInt64(PackFormat.recordHeaderSize) + entry.storedLength
        }
      }
    }
    var measured: [ObjectID: Int] = [:]
    for (version, objects) in sets {
      if let artifacts, !artifacts.contains(version.artifact) { continue }
      for object in objects { measured[object, default: 0] += 1 }
      var usage = VersionUsage(version: version, logical: version.record.size, unique: 0, shared: 0)
      for object in objects {
        let size = stored[object] ?? 0
        if users[object] == 1 { usage.unique &+= size } else { usage.shared &+= size }
      }
      report.versions.append(usage)
    }
    for (object, count) in measured {
      let size = stored[object] ?? 0
      report.referencedBytes &+= size
      if users[object] == count { report.exclusiveBytes &+= size }
    }
    return report
  }

  /// Stored bytes of every distinct object the tree of manifest `id`
  /// reaches, labelled `label` in errors (what `art show` reports).
  ///
  /// - Throws: ``ArtError`` for a missing or damaged object.
  public static func storedBytes(ofTree id: ObjectID, label: String, in store: ObjectStore)
    throws -> UInt64
  {
    var reach = Reachability(store: store)
    reach.mark(tree: id, label: label)
    return try reach.storedBytes()
  }
}
