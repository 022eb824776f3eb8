import ArtStore
import SystemPackage

/// `.art/state/lineage`: each version's inputs, by version id, as read
/// from its record; a header line, then `VERSION [INPUT …]` (64 hex each).
///
/// Derived: a file that does not parse is ignored and written again.
enum LineageCache {
  static let header = "# art-lineage v1"

  /// The inputs of every version in the file at `path`; none when there is
  /// no file or it does not parse.
  static func read(_ path: FilePath) -> [ObjectID: [ObjectID]] {
    guard let bytes = try? AtomicFile.read(path, limit: 1 << 30) else { return [:] }
    var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
    guard lines.first?.elementsEqual(header.utf8) == true, lines.last?.isEmpty == true else {
      return [:]
    }
    lines.removeFirst()
    lines.removeLast()
    var result: [ObjectID: [ObjectID]] = [:]
    for line in lines {
      let ids = line.split(separator: 0x20).map { part in
        part.withUnsafeBytes { ObjectID(hexBytes: $0) }
      }
      guard let version = ids.first ?? nil, !ids.contains(where: { $0 == nil }) else { return [:] }
      result[version] = ids.dropFirst().compactMap { $0 }
    }
    return result
  }

  /// Replaces the file at `path` with `inputs` (whole, by rename).
  ///
  /// - Throws: ``ArtError`` when it cannot be written.
  static func write(_ inputs: [ObjectID: [ObjectID]], to path: FilePath) throws {
    var text = header + "\n"
    for (version, from) in inputs.sorted(by: { $0.key < $1.key }) {
      text += ([version] + from).map(\.hex).joined(separator: " ") + "\n"
    }
    var folder = path
    folder.removeLastComponent()
    try Syscalls.makeDirectories(folder)
    try AtomicFile.write(Array(text.utf8), to: path, durable: false)
  }
}
