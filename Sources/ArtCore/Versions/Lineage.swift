public import ArtStore

/// The graph of versions and the versions they were made from
/// (`commit --input`), for `art lineage` and `art show`.
///
/// Built from every live version's record, read once: thousands of
/// versions load in well under a second.
public struct Lineage: Sendable {
  /// One edge: `to` was made from `from` by a job of kind `job`.
  public struct Edge: Sendable, Hashable {
    /// The input version.
    public var from: ObjectID
    /// The version made from it.
    public var to: ObjectID
    /// The job recorded on `to`.
    public var job: String
  }

  /// Live versions by id.
  public private(set) var versions: [ObjectID: ResolvedVersion] = [:]
  /// Labels (`project/name:vN`) of versions copied from other projects.
  public private(set) var imported: [ObjectID: String] = [:]
  private var madeFrom: [ObjectID: [ObjectID]] = [:]
  /// Versions whose record could not be read (a missing or damaged pack),
  /// with why: left out of the graph, so the rest still shows.
  public private(set) var unreadable: [String] = []

  /// Loads every live version of the repository; a version whose record
  /// cannot be read is listed in ``unreadable`` instead.
  ///
  /// - Throws: ``ArtError`` when the imports list cannot be read.
  public init(repository: Repository, refs: Refs) throws {
    for entry in try Imports.read(repository).entries { imported[entry.id] = entry.label }
    for artifact in refs.artifacts {
      for (number, id) in refs.versions(of: artifact) {
        let version: ResolvedVersion
        do {
          version = try repository.loadVersion(id, artifact: artifact, in: refs, number: number)
        } catch let error as ArtError {
          unreadable.append("\(artifact):\(number): \(error.message)")
          continue
        }
        versions[id] = version
        for input in version.record.inputs { madeFrom[input, default: []].append(id) }
      }
    }
    // Children in name and number order, so output is stable.
    let versions = self.versions
    for key in madeFrom.keys {
      madeFrom[key]?.sort { a, b in
        let (x, y) = (versions[a], versions[b])
        if x?.artifact != y?.artifact { return (x?.artifact.text ?? "") < (y?.artifact.text ?? "") }
        return (x?.record.number ?? 0) < (y?.record.number ?? 0)
      }
    }
  }

  /// Versions made directly from `id`.
  public func made(from id: ObjectID) -> [ResolvedVersion] {
    (madeFrom[id] ?? []).compactMap { versions[$0] }
  }

  /// The edges reachable from `start` going up (towards inputs) or down
  /// (towards versions made from it), at most `depth` steps.
  public func edges(from start: ObjectID, upstream: Bool, depth: Int) -> [Edge] {
    var edges: [Edge] = []
    var seen: Set<ObjectID> = [start]
    var frontier = [start]
    var level = 0
    while !frontier.isEmpty, level < depth {
      var next: [ObjectID] = []
      for id in frontier {
        if upstream {
          // An input that was removed since still shows, by id.
          for input in versions[id]?.record.inputs ?? [] {
            edges.append(Edge(from: input, to: id, job: versions[id]?.record.job ?? ""))
            if seen.insert(input).inserted { next.append(input) }
          }
        } else {
          for child in madeFrom[id] ?? [] {
            edges.append(Edge(from: id, to: child, job: versions[child]?.record.job ?? ""))
            if seen.insert(child).inserted { next.append(child) }
          }
        }
      }
      frontier = next
      level += 1
    }
    return edges
  }

  /// `name:vN` of `id`, or its id prefix marked removed.
  public func label(_ id: ObjectID) -> String {
    versions[id]?.label ?? imported[id] ?? "\(id.prefix(12)) (removed)"
  }
}

extension Lineage {
  /// Labels (`name:vN`) of the live versions made directly from `id`, in
  /// name and number order: what `art show` prints as "made into".
  ///
  /// Each version's inputs are kept in `.art/state/lineage` (records never
  /// change), so only versions new since the last call are read: the cost
  /// of a show stays that of one file's lines, not of every record.
  /// Versions whose record cannot be read are left out. With `saving`
  /// false (a version of another project, or of a remote), nothing is
  /// written into `repository`.
  public static func madeInto(
    _ id: ObjectID, repository: Repository, refs: Refs, saving: Bool = true
  ) -> [String] {
    let path = repository.layout.lineage
    var inputs = LineageCache.read(path)
    var added = false
    var children: [(artifact: String, number: UInt64, label: String)] = []
    for artifact in refs.artifacts {
      for (number, version) in refs.versions(of: artifact) {
        if inputs[version] == nil {
          guard let record = try? repository.versionRecord(version) else { continue }
          inputs[version] = record.inputs
          added = true
        }
        if inputs[version]?.contains(id) == true {
          children.append((artifact.text, number.value, "\(artifact):\(number)"))
        }
      }
    }
    // Derived and safe to lose: a show that cannot save it still shows.
    if added, saving { try? LineageCache.write(inputs, to: path) }
    return children.sorted { ($0.artifact, $0.number) < ($1.artifact, $1.number) }.map(\.label)
  }
}
