import ArtRemote
import ArtStore

extension Remote {
  /// The remote's journal (tags, annotations, uses, renames) and their
  /// tag, or empty ones and nil before the first push that had any.
  ///
  /// - Throws: ``ArtError`` `.corruptData` for a damaged file, or the
  ///   storage's errors.
  public func readJournal() async throws -> (Journal, String?) {
    guard let (bytes, tag) = try await storage.read("journal") else { return (Journal(), nil) }
    do {
      return (try Journal.decode(bytes, file: "\(storage.location)/journal"), tag)
    } catch let error as ArtError {
      throw ArtError(
        error.code, error.message,
        hint: "delete that object (it holds only tags, annotations, uses and renames) and "
          + "push from each clone: every push adds its journal back")
    }
  }

  /// Adds this repository's events about `artifacts` to the remote's journal.
  ///
  /// Those are the events about their versions, and every rename; returns
  /// how many were new there. Events are never removed, so this is a union: nothing another
  /// machine pushed is lost.
  ///
  /// - Throws: ``ArtError`` for a damaged remote file, or the storage's errors.
  @discardableResult
  public func pushJournal(artifacts: [ArtifactName], refs: Refs) async throws -> Int {
    let local = try repository.journal()
    let ids = Set(artifacts.flatMap { artifact in refs.versions(of: artifact).map(\.id.hex) })
    var sent = Journal()
    for event in local.events {
      if let version = event.version, ids.contains(version) {
        sent.append(event)
      } else if event.renamedTo != nil {
        sent.append(event)  // every rename: the remote's refs were renamed
      }
    }
    guard !sent.events.isEmpty else { return 0 }
    var added = 0
    _ = try await update("journal", read: { try await readJournal() }, encode: Journal.encode) {
      remote in
      added = remote.merge(sent)
    }
    return added
  }
}
