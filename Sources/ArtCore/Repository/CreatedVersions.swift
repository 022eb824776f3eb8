import ArtStore
import SystemPackage

/// The versions made in this repository (`.art/created`), as opposed to
/// those that arrived by clone, fetch, pull or import.
///
/// A `file` reference entry names a path on this machine; art reads it at
/// checkout only for versions made here, or under the folders the user
/// allowed (`[references] allow`), so a version from elsewhere cannot copy
/// `~/.ssh/id_rsa` into a working folder.
///
/// Format (text): `# art-created v1`, then one version id (64 hex digits)
/// per line, appended with `O_APPEND` and synced before the refs file that
/// names the version is written. A cut-off last line is ignored (its
/// version was never committed).
public enum CreatedVersions {
  static let header = "# art-created v1"

  static func path(_ repository: Repository) -> FilePath {
    repository.directory.appending("created")
  }

  /// The ids listed; empty when the file does not exist.
  ///
  /// - Throws: ``ArtError`` `.corruptData` for a file that is not this format.
  public static func read(_ repository: Repository) throws -> Set<ObjectID> {
    let file = path(repository)
    guard let bytes = try AtomicFile.read(file, limit: 1 << 30) else { return [] }
    let lines = String(decoding: bytes, as: UTF8.self).split(
      separator: "\n", omittingEmptySubsequences: false)
    guard lines.first == Substring(header) else {
      throw ArtError.corrupt(file.string, "the first line is not '\(header)'")
    }
    var ids = Set<ObjectID>()
    // The last element follows the last newline: complete lines only.
    for line in lines.dropFirst().dropLast() {
      guard let id = ObjectID(line) else {
        throw ArtError.corrupt(file.string, "'\(line.prefix(80))' is not a version id")
      }
      ids.insert(id)
    }
    return ids
  }

  /// Appends `ids`, durably; creates the file if missing.
  public static func append(_ ids: [ObjectID], to repository: Repository) throws {
    guard !ids.isEmpty else { return }
    let file = path(repository)
    let fd: FileDescriptor
    do {
      fd = try FileDescriptor.open(
        file, .writeOnly, options: [.create, .append, .closeOnExec],
        permissions: [.ownerReadWrite, .groupRead, .otherRead])
    } catch {
      throw ArtError.io("open", file.string, error)
    }
    defer { try? fd.close() }
    var text = ids.map { $0.hex + "\n" }.joined()
    if try Syscalls.status(fd, path: file).size == 0 { text = header + "\n" + text }
    do {
      _ = try Array(text.utf8).withUnsafeBytes { try fd.writeAll($0) }
    } catch {
      throw ArtError.io("write", file.string, error)
    }
    try Syscalls.sync(fd, path: file)
  }
}

extension Repository {
  /// Raises `.art/config` to format 2 if it is older.
  ///
  /// The versions that exist now (in `refs`) are listed as made here, as
  /// they were trusted before the list existed. Idempotent; call under the
  /// refs lock.
  public func upgradeFormat(knowing refs: Refs) throws {
    let path = directory.appending("config")
    let text = String(decoding: try AtomicFile.read(path) ?? [], as: UTF8.self)
    let current = try Configuration(parsing: text, file: path.string)
    guard current.format < 2 else { return }
    var ids: [ObjectID] = []
    for artifact in refs.artifacts { ids += refs.versions(of: artifact).map(\.id) }
    try CreatedVersions.append(ids, to: self)
    try editConfig { text in
      var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      if let index = lines.firstIndex(where: {
        let parts = $0.split(separator: "=", maxSplits: 1)
        return parts.count == 2 && parts[0].trimmingWhitespace() == "format"
      }) {
        lines[index] = "\tformat = 2"
      } else if let core = lines.firstIndex(where: { $0.trimmingWhitespace() == "[core]" }) {
        lines.insert("\tformat = 2", at: core + 1)
      } else {
        lines.insert(contentsOf: ["[core]", "\tformat = 2"], at: 0)
      }
      return lines.joined(separator: "\n")
    }
  }
}
