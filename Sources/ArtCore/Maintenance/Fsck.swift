import ArtStore
import SystemPackage

/// What `art fsck` found.
public struct FsckReport: Sendable {
  /// Problems that make the repository unclean: each with where it is.
  public var errors: [String] = []
  /// Versions checked.
  public var versions = 0
  /// Objects reachable from the refs.
  public var reachableObjects = 0
  /// Packs checked.
  public var packs = 0
  /// Objects whose bytes were read and re-hashed (`--full`).
  public var objectsVerified = 0
  /// Objects in packs that no ref reaches (gc removes them; not an error);
  /// not counted when refs or objects are damaged.
  public var danglingObjects = 0
  /// Their stored bytes.
  public var danglingBytes: UInt64 = 0
  /// The first ``danglingListLimit`` of them, with their kind and pack file.
  public var dangling: [(id: ObjectID, kind: ObjectKind, pack: String)] = []
  /// How many dangling objects are listed at most.
  public static let danglingListLimit = 10_000

  /// Whether nothing is wrong.
  public var isClean: Bool { errors.isEmpty }
}

/// Checks a repository: every ref reaches a version record, every record
/// its manifests, every manifest its blobs and chunks; with `full`, every
/// pack and every object's bytes too.
public struct Fsck: Sendable {
  /// The repository checked.
  public let repository: Repository
  /// Counts packs and their bytes as they are checked.
  public var progress: Progress?

  /// A checker for `repository`.
  public init(repository: Repository, progress: Progress? = nil) {
    self.repository = repository
    self.progress = progress
  }

  /// Runs the checks; never throws for damage it finds, only reports it.
  public func run(full: Bool) async throws -> FsckReport {
    var report = FsckReport()
    let store = repository.store
    for (path, error) in store.damagedPacks {
      report.errors.append("pack index '\(path)': \(error.message)")
    }
    if let problem = repository.configuration.problem { report.errors.append(problem) }
    var reach = Reachability(store: store)
    // What the versions reach, before imports named only as inputs add
    // their records alone.
    var versionsWalked = Set<ObjectID>()
    do {
      let refs = try repository.refs.read()
      for artifact in refs.artifacts {
        for (number, id) in refs.versions(of: artifact) {
          let label = "\(artifact):\(number)"
          report.versions += 1
          guard let record = reach.mark(version: id, label: label) else { continue }
          if let problem = refs.mismatch(record, at: RefName(artifact, .version(number))) {
            report.errors.append(problem)
          }
        }
      }
      report.errors += refs.problems()
      versionsWalked = reach.live
      reach.mark(imports: try Imports.read(repository))
    } catch let error as ArtError {
      report.errors.append(error.message)
    }
    // The files beside the refs that art reads on every listing.
    let readers: [() throws -> Void] = [
      { _ = try ExpiryOverrides.read(repository) }, { _ = try Journal.read(repository) },
    ]
    for read in readers {
      do { try read() } catch let error as ArtError { report.errors.append(error.message) }
    }
    report.reachableObjects = reach.live.count
    // What gc keeps for versions tracking refs name is not dangling.
    let tracked =
      (try? Remote.trackedObjects(of: repository) { versionsWalked.contains($0) }) ?? []
    // Dangling counts mean something only when the walk was complete.
    let countDangling = report.errors.isEmpty && reach.problems.isEmpty
    var damaged = Set<ObjectID>()

    progress?.setTotal(
      files: store.allPacks.count,
      bytes: Int(store.allPacks.reduce(UInt64(0)) { $0 + $1.index.packSize }))
    for pack in store.allPacks {
      defer { progress?.add(fileOf: Int(pack.index.packSize)) }
      report.packs += 1
      if full {
        report.errors += verify(pack, report: &report, damaged: &damaged)
      } else {
        do {
          try pack.checkFile()
        } catch let error as ArtError {
          report.errors.append(error.message)
        }
      }
      for position in 0..<pack.index.count {
        guard let entry = try? pack.index.entry(at: position) else { continue }
        // A pack's dictionary lives and goes with the pack (gc drops it
        // when it rewrites or deletes that pack), so it is never dangling.
        if countDangling, entry.kind != .dictionary, !reach.live.contains(entry.id),
          !tracked.contains(entry.id)
        {
          report.danglingObjects += 1
          report.danglingBytes += entry.storedLength
          if report.dangling.count < FsckReport.danglingListLimit {
            report.dangling.append((entry.id, entry.kind, pack.path.lastComponent?.string ?? ""))
          }
        }
      }
    }
    // What the walk could not read, unless the pack check named it already:
    // one damaged object is one problem.
    for problem in reach.problems where !damaged.contains(problem.id) {
      report.errors.append(
        "object \(problem.id) \(problem.detail), needed by \(problem.referencedBy)")
    }
    if full {
      // A chunked file's id is its whole content's hash: read each through.
      for id in reach.chunkLists.sorted() where !damaged.contains(id) {
        do {
          // A file whose chunk the pack check named is that one problem.
          let list = try ChunkList(
            decoding: store.read(id, as: .chunkList), id: id, subject: "chunk list \(id)")
          if list.chunks.contains(where: { damaged.contains($0.id) }) { continue }
          try ContentReader.read(id, from: store) { _ in }
        } catch let error as ArtError {
          report.errors.append("file \(id): \(error.message)")
        }
      }
    }
    return report
  }

  /// Every problem in `pack`: its structure, then each object in turn.
  private func verify(_ pack: Pack, report: inout FsckReport, damaged: inout Set<ObjectID>)
    -> [String]
  {
    do {
      let result = try pack.verify()
      report.objectsVerified += result.objects
      return []
    } catch {
      let message = (error as? ArtError)?.message ?? "\(error)"
      // The pack's own error (its path once), unless the objects below
      // name the same damage one by one.
      let packError =
        message.contains(pack.path.string) ? message : "pack '\(pack.path)': \(message)"
      var errors: [String] = []
      // Name every damaged object, not only the first.
      for position in 0..<pack.index.count {
        guard let entry = try? pack.index.entry(at: position) else {
          errors.append("pack '\(pack.path)': index entry \(position) is unreadable")
          continue
        }
        do {
          _ = try pack.read(entry)
          report.objectsVerified += 1
        } catch {
          damaged.insert(entry.id)
          let detail = (error as? ArtError)?.message ?? "\(error)"
          errors.append(
            "object \(entry.id)"
              + (detail.contains(pack.path.string) ? "" : " in '\(pack.path)'") + ": \(detail)")
        }
      }
      return errors.isEmpty ? [packError] : errors
    }
  }
}
