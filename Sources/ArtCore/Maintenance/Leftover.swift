import ArtStore
import SystemPackage

/// Files a crashed or killed writer left in `.art`: temporary pack files,
/// unpublished packs (a `.pack` with no `.idx`), and the temporary files
/// of atomic writes (`NAME.tmp-PID-N`, see ``AtomicFile``) in `.art` and
/// `.art/state`.
///
/// A running command's own temporary files look the same, so they are
/// removed only once older than gc's grace period; `art count-objects`
/// lists them all.
public struct Leftover: Sendable, Equatable {
  /// The file.
  public var path: FilePath
  /// Its size in bytes.
  public var size: UInt64
  /// Its mtime, milliseconds since the epoch.
  public var modifiedMilliseconds: Int64

  /// The leftovers in `repository`, by folder and name.
  public static func find(in repository: Repository) throws -> [Leftover] {
    var found: [Leftover] = []
    func add(_ path: FilePath) throws {
      guard let status = try Syscalls.linkStatus(path), status.kind == .regular else { return }
      found.append(
        Leftover(
          path: path, size: UInt64(status.size),
          modifiedMilliseconds: status.modificationNanoseconds / 1_000_000))
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
      for name in names.sorted() where AtomicFile.isTemporaryName(name) {
        try add(folder.appending(name))
      }
    }
    return found
  }
}
