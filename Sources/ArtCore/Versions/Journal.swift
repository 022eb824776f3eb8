public import ArtStore
import Foundation
import SystemPackage

/// One change to what is said about a version, which never changes the
/// version itself: tags added or removed, a new description, metadata keys
/// set or unset (`art tag`, `art annotate`), a run that used it (`art
/// use`); or an artifact renamed (`art mv`, with no version).
///
/// Stored as one line of JSON in ``Journal``; who and when are kept so
/// `show` can list the history.
public struct JournalEvent: Codable, Sendable, Equatable {
  /// When, in ms since 1970.
  public var time: Int64
  /// Who: `user@host`.
  public var user: String
  /// The version record's id (hex); nil for a rename.
  public var version: String?
  /// Tags added.
  public var tag: [String]?
  /// Tags removed.
  public var untag: [String]?
  /// The new description.
  public var description: String?
  /// Metadata keys set (a dotted key sets a nested value).
  public var set: [String: JSONValue]?
  /// Metadata keys removed.
  public var unset: [String]?
  /// The run that used the version.
  public var run: String?
  /// That run's job type.
  public var job: String?
  /// A rename: the old artifact name.
  public var renamedFrom: String?
  /// A rename: the new artifact name.
  public var renamedTo: String?
  /// A rename: ids of (at most 16 of) the versions renamed, so the rename
  /// is made only where the old name still means that artifact.
  public var renamedVersions: [String]?

  /// An event at `time` by `user` about `version`.
  public init(time: Int64, user: String, version: ObjectID?) {
    self.time = time
    self.user = user
    self.version = version?.hex
  }

  /// The version it is about.
  public var versionID: ObjectID? { version.flatMap { ObjectID($0) } }

  /// Whether it edits tags, description or metadata (not a use or rename).
  public var isEdit: Bool {
    tag != nil || untag != nil || description != nil || set != nil || unset != nil
  }

  /// `user@host` for this process: `ART_USER` when set, else the login name.
  public static func currentUser() -> String {
    let environment = ProcessInfo.processInfo.environment
    var user = environment["ART_USER"] ?? ""
    if user.isEmpty {
      let name = environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? NSUserName()
      // gethostname, not a name lookup that may wait on DNS.
      var buffer = [CChar](repeating: 0, count: 256)
      let host =
        gethostname(&buffer, buffer.count) == 0
        ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        : "host"
      user = name + "@" + host
    }
    // One printable line of at most 200 bytes, as readers demand (cut
    // between characters, never inside one).
    var kept = String.UnicodeScalarView()
    var bytes = 0
    for scalar in user.unicodeScalars where scalar.value >= 0x20 && scalar.value != 0x7F {
      bytes += String(scalar).utf8.count
      if bytes > 200 { break }
      kept.append(scalar)
    }
    return String(kept)
  }
}

/// What a version carries beyond its record: current tags, and the edits
/// and uses recorded for it, oldest first.
public struct VersionJournal: Sendable, Equatable {
  /// Tags now on the version, sorted.
  public var tags: [String] = []
  /// Edits of tags, description and metadata, oldest first.
  public var edits: [JournalEvent] = []
  /// Runs that used the version, oldest first.
  public var uses: [JournalEvent] = []

  /// Nothing recorded.
  public init() {}
}

/// The file `.art/journal`: tags, annotations, uses and renames, as events.
///
/// ```
/// # art-journal v1
/// {"time":1764400000000,"user":"ana@gpu1","version":"3fa9…","tag":["golden"]}
/// {"renamedFrom":"ds","renamedTo":"imagenet","time":…,"user":"…"}
/// # sha256 <SHA-256 of every byte above this line>
/// ```
///
/// One JSON object a line, keys sorted, lines sorted by time and then by
/// their bytes; the same line twice is kept once. Events are never edited
/// or removed, so two copies merge by taking the union of their lines:
/// that is how push and pull carry them. What holds now is the events
/// applied in order: a tag's newest add or remove wins, and so does a
/// metadata key's newest set or unset. Written under the refs lock (temp
/// file, fsync, rename). Needs repository format 3.
public struct Journal: Sendable, Equatable {
  /// The events, oldest first.
  public private(set) var events: [JournalEvent] = []
  /// Each event's line, as read (a newer art's fields kept) or written.
  private var lines: [String] = []
  private var known: Set<String> = []
  /// Versions with at least one event (hex ids): the rest need no scan.
  private var mentioned: Set<String> = []

  static let header = "# art-journal v1"

  /// No events.
  public init() {}

  /// Adds `event` (a copy already present is not added twice); returns
  /// whether it was new.
  @discardableResult
  public mutating func append(_ event: JournalEvent) -> Bool {
    insert([(event, Self.line(event))]) == 1
  }

  /// Takes every event of `other` this log lacks; returns how many.
  @discardableResult
  public mutating func merge(_ other: Journal) -> Int {
    insert(Array(zip(other.events, other.lines)))
  }

  /// Adds the events whose lines are new; returns how many.
  ///
  /// The order stays time, then line bytes. One sort for a whole batch, so reading
  /// or merging a journal of n events costs n log n.
  private mutating func insert(_ batch: [(JournalEvent, String)]) -> Int {
    var added = 0
    var appendedInOrder = true
    for (event, line) in batch where known.insert(line).inserted {
      if let last = events.last,
        !Self.precedes((last.time, lines[lines.count - 1]), (event.time, line))
      {
        appendedInOrder = false
      }
      events.append(event)
      lines.append(line)
      if let version = event.version { mentioned.insert(version) }
      added += 1
    }
    if !appendedInOrder {
      let order = events.indices.sorted {
        Self.precedes((events[$0].time, lines[$0]), (events[$1].time, lines[$1]))
      }
      events = order.map { events[$0] }
      lines = order.map { lines[$0] }
    }
    return added
  }

  private static func precedes(_ a: (Int64, String), _ b: (Int64, String)) -> Bool {
    a.0 != b.0 ? a.0 < b.0 : Array(a.1.utf8).lexicographicallyPrecedes(b.1.utf8)
  }

  /// The time a new event gets: now, or just after the newest event when
  /// this clock is behind it, so "newest wins" follows the order of edits.
  public func nextTime(now: Int64) -> Int64 {
    max(now, (events.last?.time ?? now) &+ 1)
  }

  /// What is recorded for version `id`.
  public func entries(of id: ObjectID) -> VersionJournal {
    var result = VersionJournal()
    guard mentioned.contains(id.hex) else { return result }
    var tags = Set<String>()
    for event in events where event.version == id.hex {
      for tag in event.tag ?? [] { tags.insert(tag) }
      for tag in event.untag ?? [] { tags.remove(tag) }
      if event.isEdit { result.edits.append(event) }
      if event.run != nil { result.uses.append(event) }
    }
    result.tags = tags.sorted()
    return result
  }

  /// `record` with its description and metadata as edited since (the
  /// record itself, and so the version's id, never changes).
  public func applying(to record: VersionRecord, id: ObjectID) -> VersionRecord {
    guard mentioned.contains(id.hex) else { return record }
    let edits = events.filter {
      $0.version == id.hex && ($0.description != nil || $0.set != nil || $0.unset != nil)
    }
    guard !edits.isEmpty else { return record }
    var result = record
    var metadata =
      (try? Metadata.parse(Array(record.metadata.utf8), source: "version metadata")) ?? [:]
    for event in edits {
      if let description = event.description { result.description = description }
      for (key, value) in (event.set ?? [:]).sorted(by: { $0.key < $1.key }) {
        Metadata.set(key, to: value, in: &metadata)
      }
      for key in event.unset ?? [] { Metadata.set(key, to: nil, in: &metadata) }
    }
    result.metadata = Metadata.canonical(metadata)
    return result
  }

  /// Renames recorded, oldest first.
  public var renames: [ArtifactRename] {
    events.compactMap { event in
      guard let from = event.renamedFrom.flatMap({ try? ArtifactName($0) }),
        let to = event.renamedTo.flatMap({ try? ArtifactName($0) })
      else { return nil }
      return ArtifactRename(
        from: from, to: to, versions: Set((event.renamedVersions ?? []).compactMap(ObjectID.init)),
        event: event)
    }
  }

  // MARK: Bytes

  private static func line(_ event: JournalEvent) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // Encoding these plain fields cannot fail.
    let data = (try? encoder.encode(event)) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
  }

  /// The file's bytes.
  public static func encode(_ log: Journal) -> [UInt8] {
    ChecksummedLines.encode(header: header, log.lines)
  }

  /// Parses the file's bytes; errors name `file` and the line.
  ///
  /// - Throws: ``ArtError`` `.corruptData`.
  public static func decode(_ bytes: [UInt8], file: String) throws -> Journal {
    func damaged(_ detail: String) -> ArtError {
      ArtError(
        .corruptData, "'\(file)' is damaged: \(detail)",
        hint: "restore it from a backup, or copy a remote's 'journal' object over it "
          + "(it holds only tags, annotations, uses and renames; versions are safe)")
    }
    let lines = try ChecksummedLines.decode(bytes, header: header, damaged: damaged)
    var batch: [(JournalEvent, String)] = []
    for (number, line) in lines.enumerated() {
      guard line.utf8.count <= maximumLine,
        let event = try? JSONDecoder().decode(JournalEvent.self, from: Data(line.utf8)),
        Self.problem(of: event) == nil
      else {
        throw damaged("line \(number + 2) is not a valid journal event")
      }
      batch.append((event, line))
    }
    var log = Journal()
    _ = log.insert(batch)
    return log
  }

  /// The longest line a journal may hold.
  static let maximumLine = 1 << 20

  /// Checks `event` as a reader will: art never writes what it would then
  /// refuse to read.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` naming the problem.
  static func check(_ event: JournalEvent) throws {
    if let problem = problem(of: event) {
      throw ArtError(
        .invalidArgument, "cannot record this change: \(problem)",
        hint: "keep users, runs and jobs to one line of at most 200 bytes, and metadata keys "
          + "to at most 256 bytes and 32 dotted parts")
    }
    guard line(event).utf8.count <= maximumLine else {
      throw ArtError(
        .invalidArgument, "cannot record this change: it is larger than \(maximumLine) bytes")
    }
  }

  /// What makes `event` unusable, or nil: a version that is no id, a tag
  /// or name art would refuse, an empty run or key.
  static func problem(of event: JournalEvent) -> String? {
    if let version = event.version, ObjectID(version) == nil { return "bad version id" }
    for tag in (event.tag ?? []) + (event.untag ?? []) where (try? Tag(tag)) == nil {
      return "bad tag"
    }
    if event.run?.isEmpty == true { return "empty run" }
    // Text a terminal would obey, or too long for one line of output.
    for text in [event.user, event.run, event.job].compactMap({ $0 }) {
      if text.utf8.count > 200 || text.unicodeScalars.contains(where: { $0.value < 0x20 }) {
        return "a user, run or job over 200 bytes or holding a control character (a tab, say)"
      }
    }
    for key in (event.unset ?? []) + (event.set.map { Array($0.keys) } ?? []) {
      if key.isEmpty { return "empty key" }
      if key.utf8.count > 256 || key.split(separator: ".").count > 32 { return "key too long" }
    }
    // A clock far ahead would win every later edit.
    if event.time > WallClock.milliseconds() &+ 86_400_000 { return "time in the future" }
    let names = [event.renamedFrom, event.renamedTo].compactMap { $0 }
    if names.contains(where: { (try? ArtifactName($0)) == nil }) { return "bad artifact name" }
    if (event.renamedFrom == nil) != (event.renamedTo == nil) { return "half a rename" }
    if let ids = event.renamedVersions,
      ids.count > 16 || ids.contains(where: { ObjectID($0) == nil })
    {
      return "bad renamed versions"
    }
    if event.version == nil, event.renamedFrom == nil { return "no version" }
    return nil
  }

  // MARK: The file

  /// The log of `repository`, empty when it has none.
  ///
  /// - Throws: ``ArtError`` `.corruptData` for a damaged file.
  public static func read(_ repository: Repository) throws -> Journal {
    let path = repository.layout.journal
    guard let bytes = try AtomicFile.read(path, limit: 1 << 30) else { return Journal() }
    return try decode(bytes, file: path.string)
  }

  /// Changes the log of `repository` and its refs with `body`, under the
  /// refs lock, and writes the log when it changed (raising the repository
  /// to format 3 first), before the refs.
  ///
  /// The two files are not written as one: a command killed between them
  /// leaves journal events the refs do not show yet. Events about versions
  /// change nothing until the versions exist; a rename is made in the refs
  /// by the next update (of this or any other journal change), since
  /// applying a recorded rename again changes nothing. Each new event is
  /// checked as a reader will check it, so art never writes a journal it
  /// would refuse.
  ///
  /// - Throws: what `body` throws, ``ArtError`` for a damaged file or lock
  ///   timeout.
  public static func update<R>(
    _ repository: Repository, refStore: RefStore, _ body: (inout Journal, inout Refs) throws -> R
  ) throws -> R {
    try refStore.update { refs in
      var log = try read(repository)
      repository.journalWritten(log)
      // A rename recorded by a command killed before its refs were written
      // is made now (it means nothing once made).
      refs = refs.renamed(by: log.renames)
      let before = log
      let result = try body(&log, &refs)
      for (event, line) in zip(log.events, log.lines) where !before.known.contains(line) {
        try check(event)
      }
      if log != before {
        try repository.raiseFormat(to: 3, knowing: refs)
        try AtomicFile.write(encode(log), to: repository.layout.journal)
      }
      repository.journalWritten(log)
      return result
    }
  }
}

/// One recorded `art mv`, as push and pull repeat it on other refs.
public struct ArtifactRename: Sendable {
  /// The old name.
  public var from: ArtifactName
  /// The new name.
  public var to: ArtifactName
  /// Versions the old name held (some of them): the artifact renamed.
  public var versions: Set<ObjectID>
  /// The event that records it.
  public var event: JournalEvent

  /// Whether `from` in `refs` is the artifact this rename moved.
  ///
  /// It is when it holds one of its versions (or, when it had none live, none either). A name
  /// used again since for another artifact is not renamed.
  public func means(_ refs: Refs) -> Bool {
    let live = Set(refs.versions(of: from).map(\.id))
    guard refs.artifacts.contains(from) else { return false }
    return versions.isEmpty ? live.isEmpty : !live.isDisjoint(with: versions)
  }
}

/// A tag: a name many versions may share, unlike an alias (same
/// characters as an alias, without the reserved `vN` and hex forms).
public struct Tag: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// The tag as typed.
  public let text: String

  /// Checks `text`.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` naming the rule.
  public init(_ text: String) throws {
    guard (try? Alias(text)) != nil, text != Alias.latest.text else {
      throw ArtError(
        .invalidArgument, "'\(text)' is not a valid tag",
        hint: "use letters, digits, '.', '_' and '-'; 'v3', hex ids and 'latest' are reserved")
    }
    self.text = text
  }

  public var description: String { text }
  public static func < (a: Tag, b: Tag) -> Bool { a.text < b.text }
}
