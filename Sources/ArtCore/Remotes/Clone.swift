import ArtRemote
import ArtStore
public import SystemPackage

extension Remote {
  /// What ``clone(_:into:environment:lock:refs:progress:)`` made.
  public struct Cloned: Sendable {
    /// The new repository's `origin`.
    public var remote: Remote
    /// What was downloaded.
    public var result: FetchResult
    /// The refs it took.
    public var changes: RefsMerge.PullChanges
    /// Why the remote's `chunking` file was not taken (damaged, or sizes
    /// out of bounds), when it was not; the clone then has the defaults.
    public var chunkingProblem: String?
  }

  /// Makes a new repository at `root` (new or empty) from the remote at
  /// `spec`: adds it as `origin` and pulls every pack and its refs.
  ///
  /// The remote is read before anything is made; a clone that fails
  /// removes the folder it made. `refs` gives the new repository's refs
  /// file with the caller's lock wait and reports.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` for a folder that is not
  ///   empty or is inside a repository's `.art`, `.notFound` for a remote
  ///   with no refs, or the errors of the pull.
  public static func clone(
    _ spec: RemoteSpec, into root: FilePath, environment: [String: String],
    lock: Repository.LockRequest, refs: (Repository) -> RefStore, progress: Progress?
  ) async throws -> Cloned {
    try ConfinedWriter.refuseInsideRepositoryFolder(root)
    if try Syscalls.linkStatus(root) != nil, !(try directoryEntries(root).isEmpty) {
      throw ArtError(
        .invalidArgument, "'\(root)' exists and is not empty",
        hint: "give a new folder: art clone \(spec.url) NEW_FOLDER")
    }
    // Refuse before making anything when the remote cannot be read.
    let storage = try spec.open(environment: environment)
    guard try await storage.read("refs") != nil else {
      throw ArtError(
        .notFound, "\(storage.location) holds no art repository (it has no refs)",
        hint: "check the URL, or push to it first")
    }
    // The chunk sizes of what was pushed, so new versions deduplicate
    // against it. A remote first pushed to before 2026-12-01 has no
    // `chunking` file, and its repositories had the original sizes.
    var configuration = Configuration()
    var chunkingProblem: String? = nil
    let damaged =
      "\(storage.location)/chunking is not three lines 'min N', 'avg N', 'max N' of sizes art "
      + "takes (max at most \(ChunkerParameters.largestFromElsewhere)); the clone has the default "
      + "chunk sizes"
    do {
      if let (bytes, _) = try await storage.read("chunking") {
        if let parameters = ChunkerParameters(remoteText: bytes) {
          configuration.chunking = parameters
        } else {
          chunkingProblem = damaged
        }
      } else {
        configuration.chunking = .original
      }
    } catch let error as ArtError {
      // Not a file (a folder, a device, a link loop): damaged too. The
      // refs were just read, so the remote itself answers.
      chunkingProblem = "\(damaged) (\(error.message))"
    }
    let existed = try Syscalls.linkStatus(root) != nil
    try Syscalls.makeDirectories(root)
    do {
      _ = try Repository.initialize(at: root, configuration: configuration)
      try Repository(root: root).addRemote("origin", spec)
      let repository = try Repository(root: root, lock: lock, cachingRecords: true)
      let remote = try Remote("origin", of: repository, environment: environment)
      let (result, changes) = try await remote.pull(refStore: refs(repository), progress: progress)
      return Cloned(
        remote: remote, result: result, changes: changes, chunkingProblem: chunkingProblem)
    } catch {
      // What the clone made goes; a folder the user gave empty stays.
      if existed {
        if let folder = try? FolderHandle.open(root) {
          for name in (try? folder.names()) ?? [] { try? folder.removeTree(name) }
          folder.close()
        }
      } else {
        try? removeTree(root)
      }
      throw error
    }
  }
}
