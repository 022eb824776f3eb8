import ArtStore
import SystemPackage

/// What a crashed or killed writer left in `.art`: temporary pack files,
/// unpublished packs (a `.pack` with no `.idx`), the temporary files of
/// atomic writes (`NAME.tmp-PID-N`, see ``AtomicFile``) in `.art` and
/// `.art/state`, and the scratch folders of pushes, remote gcs and row
/// diffs (`tmp-PURPOSE-PID`, see ``RepositoryLayout/scratch(_:)``).
///
/// A running command's own look the same, so gc removes them only once
/// older than its grace period, and a scratch folder only once its process
/// is gone too; `art count-objects` counts them all.
public struct Leftover: Sendable, Equatable {
  /// The file or folder.
  public var path: FilePath
  /// Its size in bytes (a folder's: of the files below it).
  public var size: UInt64
  /// Its mtime, milliseconds since the epoch.
  public var modifiedMilliseconds: Int64
  /// The process a scratch folder belongs to; nil for a file.
  public var owner: Int32?

  /// The leftovers in `repository`, by folder and name.
  public static func find(in repository: Repository) throws -> [Leftover] {
    var found: [Leftover] = []
    func add(_ path: FilePath, owner: Int32? = nil) throws {
      guard let status = try Syscalls.linkStatus(path) else { return }
      let size: UInt64
      switch (status.kind, owner) {
      case (.regular, nil): size = UInt64(status.size)
      // A running command may remove its folder meanwhile: then it
      // counts for nothing.
      case (.directory, .some): size = (try? bytes(below: path)) ?? 0
      default: return
      }
      found.append(
        Leftover(
          path: path, size: size,
          modifiedMilliseconds: status.modificationNanoseconds / 1_000_000, owner: owner))
    }
    let packs = repository.store.directory
    let names = try directoryEntries(packs).compactMap { String(validating: $0, as: UTF8.self) }
    let indexes = Set(names.filter { $0.hasSuffix(".idx") })
    for name in names.sorted() {
      let unpublished =
        name.hasPrefix("pack-") && name.hasSuffix(".pack")
        && !indexes.contains(String(name.dropLast(5)) + ".idx")
      guard name.hasPrefix("tmp-") || unpublished else { continue }
      try add(packs.appending(name))
    }
    for folder in [repository.directory, repository.layout.state] {
      guard Syscalls.isDirectory(folder) else { continue }
      let names = try directoryEntries(folder).compactMap { String(validating: $0, as: UTF8.self) }
      for name in names.sorted() {
        if AtomicFile.isTemporaryName(name) {
          try add(folder.appending(name))
        } else if folder == repository.directory,
          let owner = RepositoryLayout.scratchOwner(
            name, purposes: RepositoryLayout.scratchPurposes)
        {
          try add(folder.appending(name), owner: owner)
        }
      }
    }
    return found
  }

  /// Bytes of the regular files below `folder`, links not followed.
  private static func bytes(below folder: FilePath) throws -> UInt64 {
    var total: UInt64 = 0
    for (raw, status) in try directoryEntriesWithStatus(folder) {
      guard let name = pathComponent(raw) else { continue }
      switch status.kind {
      case .regular: total += UInt64(status.size)
      case .directory: total += try bytes(below: folder.appending(name))
      default: break
      }
    }
    return total
  }
}
