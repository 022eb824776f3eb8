public import ArtStore

/// How a user names a version: `name` (= `name:latest`), `name:v3`,
/// `name:production`, or a hex prefix (4+ digits) of a version id.
public enum Spec: Sendable, CustomStringConvertible {
  /// An artifact and a label; `nil` label means `latest`.
  case label(ArtifactName, RefLabel?)
  /// A version id prefix.
  case id(ObjectIDPrefix)

  /// Parses a spec; whether a bare word is a name or an id prefix is
  /// decided when it is resolved.
  ///
  /// - Throws: ``ArtError`` with code `.invalidArgument`.
  public init(_ text: String) throws {
    if text.contains(":") {
      let name = try RefName(parsing: text)
      self = .label(name.artifact, name.label)
    } else if let name = try? ArtifactName(text) {
      self = .label(name, nil)
    } else {
      do {
        self = .id(try ObjectIDPrefix(text))
      } catch {
        throw ArtError(
          .invalidArgument, "'\(text)' is not a version spec",
          hint: "use NAME, NAME:vN, NAME:ALIAS or a version id prefix")
      }
    }
  }

  public var description: String {
    switch self {
    case .label(let name, let label): label.map { "\(name):\($0)" } ?? "\(name)"
    case .id(let prefix): prefix.hex
    }
  }
}

/// A version found from a spec.
public struct ResolvedVersion: Sendable {
  /// The version record's id.
  public var id: ObjectID
  /// The record, with its description and metadata as annotated since
  /// (see ``Journal/applying(to:id:)``).
  public var record: VersionRecord
  /// Its artifact.
  public var artifact: ArtifactName
  /// Its `vN` number: the refs file's (authoritative when a version was
  /// renumbered), else the record's.
  public var number: VersionNumber

  /// Its tags, and the edits and uses recorded for it (``Journal``);
  /// `record` already holds the edited description and metadata.
  public var journal: VersionJournal

  /// A version whose number is `number`, or the record's own.
  public init(
    id: ObjectID, record: VersionRecord, artifact: ArtifactName, number: VersionNumber? = nil,
    journal: VersionJournal = VersionJournal()
  ) {
    self.id = id
    self.record = record
    self.artifact = artifact
    self.number = number ?? VersionNumber(record.number)
    self.journal = journal
  }
  /// `name:vN`.
  public var label: String { "\(artifact):\(number)" }
}

extension Repository {
  /// Finds the version `spec` names.
  ///
  /// - Throws: ``ArtError`` with `.notFound` naming what exists instead
  ///   (`no version 'v9' of 'x' (versions v0–v4; aliases latest)`),
  ///   `.ambiguous` for an id prefix matching several versions.
  public func resolve(_ spec: Spec, in refs: Refs) throws -> ResolvedVersion {
    let (id, artifact) = try versionID(spec, in: refs)
    return try loadVersion(id, artifact: artifact, in: refs)
  }

  /// The id and artifact of the version `spec` names in `refs`, without
  /// reading its record (which may be on a remote).
  ///
  /// - Throws: the errors of ``resolve(_:in:)``.
  public func versionID(_ spec: Spec, in refs: Refs) throws -> (
    id: ObjectID, artifact: ArtifactName
  ) {
    switch spec {
    case .label(let artifact, let label):
      let versions = refs.versions(of: artifact)
      if versions.isEmpty {
        // A bare word that is no artifact may be an id prefix.
        if label == nil, let prefix = try? ObjectIDPrefix(artifact.text) {
          return try versionID(.id(prefix), in: refs)
        }
        let known = refs.artifacts.filter { !refs.versions(of: $0).isEmpty }
        throw ArtError(
          .notFound,
          "no artifact '\(artifact)'"
            + (known.isEmpty ? " (the repository has none yet)" : " (artifacts: \(list(known)))"),
          hint: "list artifacts with 'art log'")
      }
      let label = label ?? .alias(.latest)
      switch refs[RefName(artifact, label)] {
      case .version(let id):
        return (id, artifact)
      case .deleted:
        throw ArtError(.notFound, "version '\(label)' of '\(artifact)' was removed")
      case nil:
        let numbers = versions.map(\.number)
        let range = (numbers.count == 1 ? "version " : "versions ") + Spec.runs(numbers)
        let aliases = refs.aliases(of: artifact).map(\.alias.text)
        let kind: String
        if case .version = label { kind = "version" } else { kind = "alias" }
        throw ArtError(
          .notFound,
          "no \(kind) '\(label)' of '\(artifact)' (\(range); aliases \(aliases.joined(separator: ", ")))",
          hint: "see them all with 'art log \(artifact)'")
      }
    case .id(let prefix):
      var matches: [(ObjectID, ArtifactName)] = []
      for artifact in refs.artifacts {
        for (_, id) in refs.versions(of: artifact) where prefix.matches(id) {
          matches.append((id, artifact))
        }
      }
      if matches.count == 1, let (id, artifact) = matches.first {
        return (id, artifact)
      }
      if matches.isEmpty {
        throw ArtError(
          .notFound, "no version with id '\(prefix)'", hint: "list versions with 'art log NAME'")
      }
      throw ArtError(
        .ambiguous,
        "version id '\(prefix)' is ambiguous: "
          + matches.map { "\($0.1) \($0.0.prefix(12))" }.joined(separator: ", "),
        hint: "give more hex digits, or NAME:vN")
    }
  }

  /// Reads the version record `id`, which a ref of `artifact` names.
  ///
  /// With `refs`, its number is the refs file's and the record is checked
  /// to be the version its line says (directly or by a recorded move).
  /// Callers that walk `refs.versions(of:)` pass the line's `number`, which
  /// saves looking it up among every line, and may pass the `record` they
  /// have already read.
  ///
  /// - Throws: ``ArtError`` `.corruptData` when the record is another
  ///   version's: damaged refs must not check out another version's files.
  public func loadVersion(
    _ id: ObjectID, artifact: ArtifactName, in refs: Refs? = nil, number: VersionNumber? = nil,
    record: VersionRecord? = nil
  ) throws -> ResolvedVersion {
    let record = try record ?? versionRecord(id)
    func damaged(_ detail: String) -> ArtError {
      ArtError(
        .corruptData, detail,
        hint: "the refs file is damaged: run 'art fsck', and restore .art/refs.prev if it is right")
    }
    let log = try self.journal()
    if let refs, let number = number ?? refs.number(of: id, in: artifact) {
      if let problem = refs.mismatch(record, at: RefName(artifact, .version(number))) {
        throw damaged(problem)
      }
      return ResolvedVersion(
        id: id, record: log.applying(to: record, id: id), artifact: artifact, number: number,
        journal: log.entries(of: id))
    }
    guard record.artifact == artifact.text else {
      throw damaged(
        "a ref of '\(artifact)' names \(id.prefix(12)), a version of '\(record.artifact)'")
    }
    return ResolvedVersion(
      id: id, record: log.applying(to: record, id: id), artifact: artifact,
      journal: log.entries(of: id))
  }
}

func list(_ names: [ArtifactName]) -> String {
  names.prefix(10).map(\.text).joined(separator: ", ") + (names.count > 10 ? ", …" : "")
}

extension Spec {
  /// `v0–v5, v9, v12–v14`: numbers in order, runs of consecutive ones
  /// joined; past eight runs, the first four and the last three.
  static func runs(_ numbers: [VersionNumber]) -> String {
    var runs: [(first: VersionNumber, last: VersionNumber)] = []
    for number in numbers.sorted(by: { $0.value < $1.value }) {
      if let last = runs.last?.last, number.value == last.value + 1 {
        runs[runs.count - 1].last = number
      } else {
        runs.append((number, number))
      }
    }
    let texts = runs.map { $0.first == $0.last ? "\($0.first)" : "\($0.first)–\($0.last)" }
    guard texts.count > 8 else { return texts.joined(separator: ", ") }
    return (texts.prefix(4) + ["…"] + texts.suffix(3)).joined(separator: ", ")
  }
}
