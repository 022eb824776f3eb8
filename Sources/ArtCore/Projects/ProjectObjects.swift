public import ArtStore
import Synchronization

/// Another project as a source of the object graph: objects this repository
/// has are read here, the others from the user's ``ObjectCache`` when it has
/// them, else from the project's store (and then added to the cache).
public final class ProjectObjects: SynchronousObjectSource {
  /// This repository.
  public let repository: Repository
  /// The project read.
  public let project: Repository
  /// The shared cache, or nil to read the project directly.
  public let cache: ObjectCache?
  private let hits = Atomic<Int>(0)

  /// A source reading `project` for `repository` through `cache`.
  public init(repository: Repository, project: Repository, cache: ObjectCache?) {
    self.repository = repository
    self.project = project
    self.cache = cache
  }

  /// Objects read from the cache so far.
  public var cacheHits: Int { hits.load(ordering: .relaxed) }

  /// Object `id` from this repository, the cache or the project.
  ///
  /// A chunk list from the cache or the project is checked against its
  /// chunks first (its id is its file's hash): the cache is shared by every
  /// project, and a list another project put there that fails is dropped
  /// from it and read from this project instead.
  public func readOne(_ id: ObjectID, as kind: ObjectKind) -> Result<[UInt8], ArtError> {
    read(id, kind, counting: true)
  }

  /// ``readOne(_:as:)``; a list's chunks are read with `counting` false:
  /// neither counted as hits nor added to the cache (the copy that follows
  /// does that).
  private func read(_ id: ObjectID, _ kind: ObjectKind, counting: Bool)
    -> Result<[UInt8], ArtError>
  {
    if repository.store.contains(id) { return LocalObjects(repository.store).readOne(id, as: kind) }
    if let raw = cache?.read(id, kind: kind) {
      if kind != .chunkList || checkContent(ofList: raw, id) == nil {
        if counting { hits.add(1, ordering: .relaxed) }
        return .success(raw)
      }
      cache?.remove(id)
    }
    let result = LocalObjects(project.store).readOne(id, as: kind)
    guard case .success(let raw) = result else { return result }
    if kind == .chunkList, let problem = checkContent(ofList: raw, id) { return .failure(problem) }
    if counting { cache?.write(id, kind: kind, raw: raw) }
    return result
  }

  /// Why the chunk list `raw` is not its file, or nil when it is.
  private func checkContent(ofList raw: [UInt8], _ id: ObjectID) -> ArtError? {
    let subject = "\(project.root) chunk list \(id)"
    do {
      try ChunkList(decoding: raw, id: id, subject: subject).checkContent(subject: subject) {
        try read($0, .blob, counting: false).get()
      }
      return nil
    } catch let error as ArtError {
      return error
    } catch {
      return ArtError(.io, "\(error)")
    }
  }

  public func check(_ id: ObjectID, kind: ObjectKind) -> ArtError? {
    if repository.store.contains(id) { return LocalObjects(repository.store).check(id, kind: kind) }
    // The cache may hold what the project's gc has since dropped.
    guard let problem = LocalObjects(project.store).check(id, kind: kind) else { return nil }
    return cache?.contains(id, kind: kind) == true ? nil : problem
  }
}
