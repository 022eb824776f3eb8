import ArtStore
import SystemPackage

/// The reference objects recorded in this repository (`.art/recorded`), as
/// opposed to those that arrived by clone, fetch, pull or import.
///
/// A `file` reference names a path on the machine that recorded it. art
/// reads it at checkout and `verify` only if this repository recorded that
/// very reference (`commit --reference`), or if it lies below a folder the
/// user allowed (`[references] allow`): a version from elsewhere cannot copy
/// `~/.ssh/id_rsa` into a working folder, even once carried into a version
/// made here.
///
/// Format (text): `# art-recorded v1`, then one reference object id (64 hex
/// digits) per line, appended with `O_APPEND` and synced when the object is
/// written, before any refs name it. A cut-off last line is ignored.
public enum RecordedReferences {
  static let header = "# art-recorded v1"

  static func path(_ repository: Repository) -> FilePath {
    repository.layout.recorded
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
        throw ArtError.corrupt(file.string, "'\(line.prefix(80))' is not an object id")
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
  /// Every reference entry the versions in `refs` hold is listed as
  /// recorded here, since all were trusted before the list existed.
  /// Idempotent; call under the refs lock.
  public func upgradeFormat(knowing refs: Refs) throws {
    let path = layout.config
    let text = String(decoding: try AtomicFile.read(path) ?? [], as: UTF8.self)
    let current = try Configuration(parsing: text, file: path.string)
    guard current.format < 2 else { return }
    var ids = Set<ObjectID>()
    var manifests = Set<ObjectID>()
    for artifact in refs.artifacts {
      for (_, id) in refs.versions(of: artifact) {
        guard let record = try? store.versionRecord(id),
          manifests.insert(record.manifest).inserted,
          let entries = try? TreeListing.entries(of: record.manifest, in: store)
        else { continue }
        for entry in entries.values where entry.kind == .external { ids.insert(entry.id) }
      }
    }
    try RecordedReferences.append(ids.sorted(), to: self)
    try writeFormat(2)
  }

  /// Raises `.art/config` to `format` if it is older.
  ///
  /// Goes through format 2's upgrade (see ``upgradeFormat(knowing:)``). Idempotent; call under the
  /// refs lock, before writing what needs the format.
  public func raiseFormat(to format: Int, knowing refs: Refs) throws {
    let path = layout.config
    let text = String(decoding: try AtomicFile.read(path) ?? [], as: UTF8.self)
    let current = try Configuration(parsing: text, file: path.string)
    guard current.format < format else { return }
    if current.format < 2 { try upgradeFormat(knowing: refs) }
    if format > 2 { try writeFormat(format) }
  }

  /// Rewrites the `format` line of `[core]` (adding it when missing),
  /// leaving every other line as it is.
  private func writeFormat(_ format: Int) throws {
    try editConfig { text in
      var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      if let index = lines.firstIndex(where: {
        let parts = $0.split(separator: "=", maxSplits: 1)
        return parts.count == 2 && parts[0].trimmingWhitespace() == "format"
      }) {
        lines[index] = "\tformat = \(format)"
      } else if let core = lines.firstIndex(where: { $0.trimmingWhitespace() == "[core]" }) {
        lines.insert("\tformat = \(format)", at: core + 1)
      } else {
        lines.insert(contentsOf: ["[core]", "\tformat = \(format)"], at: 0)
      }
      return lines.joined(separator: "\n")
    }
  }
}
