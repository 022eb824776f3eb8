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

  public func readOne(_ id: ObjectID, as kind: ObjectKind) -> Result<[UInt8], ArtError> {
    if repository.store.contains(id) { return LocalObjects(repository.store).readOne(id, as: kind) }
    if let raw = cache?.read(id, kind: kind) {
      hits.add(1, ordering: .relaxed)
      return .success(raw)
    }
    let result = LocalObjects(project.store).readOne(id, as: kind)
    if case .success(let raw) = result { cache?.write(id, kind: kind, raw: raw) }
    return result
  }

  public func check(_ id: ObjectID, kind: ObjectKind) -> ArtError? {
    if repository.store.contains(id) { return LocalObjects(repository.store).check(id, kind: kind) }
    // The cache may hold what the project's gc has since dropped.
    guard let problem = LocalObjects(project.store).check(id, kind: kind) else { return nil }
    return cache?.contains(id, kind: kind) == true ? nil : problem
  }
}
