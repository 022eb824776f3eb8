public import ArtStore
import SystemPackage

/// Versions of other projects this repository holds, in `.art/imports`:
/// one line per version, `<id> <full|record> <project>/<artifact>:v<N>`.
///
/// `full` versions were checked out (every object they need was copied);
/// `record` versions are only named as an input (`commit --input`), so
/// only their record was copied. gc keeps both, fsck checks both.
public struct Imports: Sendable {
  /// One imported version.
  public struct Entry: Sendable, Equatable {
    /// The version record's id.
    public var id: ObjectID
    /// Whether every object of the version is here, or only its record.
    public var full: Bool
    /// `project/artifact:vN`.
    public var label: String

    /// An entry for version `id`.
    public init(id: ObjectID, full: Bool, label: String) {
      self.id = id
      self.full = full
      self.label = label
    }
  }

  /// Every entry, in file order (one per id).
  public private(set) var entries: [Entry] = []

  static func path(_ repository: Repository) -> FilePath {
    repository.layout.imports
  }

  /// Reads the file (empty when missing).
  ///
  /// - Throws: ``ArtError`` `.corruptData` naming a malformed line.
  public static func read(_ repository: Repository) throws -> Imports {
    var imports = Imports()
    let file = path(repository)
    guard let bytes = try AtomicFile.read(file) else { return imports }
    for (number, line) in String(decoding: bytes, as: UTF8.self).split(separator: "\n").enumerated()
    {
      let parts = line.split(separator: " ", maxSplits: 2)
      guard parts.count == 3, let id = ObjectID(String(parts[0])),
        parts[1] == "full" || parts[1] == "record"
      else {
        throw ArtError(
          .corruptData, "'\(file)' line \(number + 1) is malformed",
          hint: "each line is '<64 hex id> full|record project/artifact:vN'")
      }
      imports.add(Entry(id: id, full: parts[1] == "full", label: String(parts[2])))
    }
    return imports
  }

  /// Adds `entry`; an existing `record` entry is upgraded to `full`.
  public mutating func add(_ entry: Entry) {
    if let index = entries.firstIndex(where: { $0.id == entry.id }) {
      entries[index].full = entries[index].full || entry.full
    } else {
      entries.append(entry)
    }
  }

  /// The label of imported version `id`.
  public func label(of id: ObjectID) -> String? {
    entries.first { $0.id == id }?.label
  }

  /// Records `entry` in the repository's file (under the refs lock, so
  /// two commands cannot lose each other's lines).
  public static func record(_ entry: Entry, in repository: Repository, refStore: RefStore)
    throws
  {
    try refStore.update { _ in
      var imports = try read(repository)
      let before = imports.entries
      imports.add(entry)
      if imports.entries == before { return }
      let text = imports.entries.map {
        "\($0.id.hex) \($0.full ? "full" : "record") \($0.label)\n"
      }.joined()
      try AtomicFile.write(Array(text.utf8), to: path(repository))
    }
  }
}
