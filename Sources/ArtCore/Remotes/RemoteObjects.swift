import ArtRemote
public import ArtStore
import Synchronization

/// A remote's packs as a source of the object graph: objects this
/// repository has are read here, the others from the remote's packs by byte
/// range, one batch of requests per level of the walk, and stored on the way
/// through `writer` when there is one (a fetch keeps what it read; remote gc
/// does not).
public final class RemoteObjects: ObjectSource {
  /// The remote.
  public let remote: Remote
  /// Its packs' indexes.
  public let index: RemoteIndex
  /// Where what is read from the remote is stored, or nil.
  public let writer: ObjectWriter?
  private let counts = Mutex(FetchResult())

  /// A source reading `remote` through `index`.
  public init(remote: Remote, index: RemoteIndex, writer: ObjectWriter?) {
    self.remote = remote
    self.index = index
    self.writer = writer
  }

  /// What the reads so far downloaded.
  public var result: FetchResult { counts.withLock { $0 } }

  public func read(_ ids: [ObjectID], as kind: ObjectKind) async throws
    -> [ObjectID: Result<[UInt8], ArtError>]
  {
    let local = LocalObjects(remote.repository.store)
    var found: [ObjectID: Result<[UInt8], ArtError>] = [:]
    var there: [ObjectID] = []
    for id in Set(ids) {
      if local.store.contains(id) {
        found[id] = local.readOne(id, as: kind)
      } else if let problem = check(id, kind: kind) {
        found[id] = .failure(problem)
      } else {
        there.append(id)
      }
    }
    var result = FetchResult()
    let fetched = try await remote.readObjects(
      there, index: index, writer: writer, decode: Set(there), result: &result)
    counts.withLock { $0.add(result) }
    for (id, raw) in fetched { found[id] = .success(raw) }
    return found
  }

  public func check(_ id: ObjectID, kind: ObjectKind) -> ArtError? {
    let local = LocalObjects(remote.repository.store)
    if local.store.contains(id) { return local.check(id, kind: kind) }
    do {
      guard let (_, entry) = try index.locate(id) else {
        return remote.missingObject(id, inGraph: true)
      }
      guard entry.kind == kind else {
        return ArtError(
          .corruptData, "is a \(entry.kind) on \(remote.storage.location), expected a \(kind)",
          hint: "the remote is damaged; push from a sound repository")
      }
      return nil
    } catch let error as ArtError {
      return error
    } catch {
      return ArtError(.io, "\(error)")
    }
  }
}

extension FetchResult {
  /// Adds what another read downloaded.
  mutating func add(_ other: FetchResult) {
    packs += other.packs
    objects += other.objects
    bytes += other.bytes
    objectsPresent += other.objectsPresent
    requests += other.requests
  }
}

/// A visitor that goes into folders only: what reading the folders of a
/// tree (and nothing below them) needs.
struct FoldersOnly: GraphVisitor {
  func follows(_ entry: ManifestEntry, at place: GraphPlace) -> Bool { entry.kind == .folder }
  mutating func visit(_ id: ObjectID, _ node: GraphNode, raw: [UInt8]?, at place: GraphPlace) {}
}
