import ArtStore

/// One `--metadata` condition: `KEY=VALUE` (equal as JSON), or
/// `KEY>VALUE`, `KEY>=VALUE`, `KEY<VALUE`, `KEY<=VALUE` (numbers).
public struct MetadataCondition: Sendable, Equatable {
  /// How the value compares.
  public enum Comparison: String, Sendable {
    case equal = "=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
  }

  /// The metadata key: a top-level key of the version's metadata object,
  /// or a dotted path into nested objects (see ``Metadata/value(at:in:)``).
  public var key: String
  /// The comparison.
  public var comparison: Comparison
  /// The value, typed as `commit --metadata` types it.
  public var value: JSONValue

  /// Parses a condition.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` for a missing operator or
  ///   key, or a non-number after `<`/`>`.
  public init(parsing text: String) throws {
    let hint = "use KEY=VALUE, KEY>NUMBER, KEY>=NUMBER, KEY<NUMBER or KEY<=NUMBER, e.g. year=2024"
    guard let index = text.firstIndex(where: { $0 == "=" || $0 == "<" || $0 == ">" }) else {
      throw ArtError(.invalidArgument, "--metadata '\(text)' has no =, < or >", hint: hint)
    }
    key = String(text[..<index])
    guard !key.isEmpty else {
      throw ArtError(.invalidArgument, "--metadata '\(text)' has no key", hint: hint)
    }
    var rest = text[index...]
    if rest.hasPrefix("<=") || rest.hasPrefix(">=") {
      comparison = Comparison(rawValue: String(rest.prefix(2))) ?? .equal
      rest = rest.dropFirst(2)
    } else {
      comparison = Comparison(rawValue: String(rest.prefix(1))) ?? .equal
      rest = rest.dropFirst()
    }
    value = JSONValue.typed(String(rest))
    if comparison != .equal, Self.number(value) == nil {
      throw ArtError(
        .invalidArgument,
        "--metadata '\(text)': '\(rest)' is not a number, so it cannot be compared with "
          + comparison.rawValue, hint: hint)
    }
  }

  /// Whether `metadata` satisfies the condition (a missing key never
  /// does); a dotted key reaches into nested objects (`aug.rotation=15`).
  public func matches(_ metadata: [String: JSONValue]) -> Bool {
    guard let actual = Metadata.value(at: key, in: metadata) else { return false }
    if comparison == .equal {
      if let a = Self.number(actual), let b = Self.number(value) { return a == b }
      return actual == value
    }
    guard let a = Self.number(actual), let b = Self.number(value) else { return false }
    switch comparison {
    case .less: return a < b
    case .lessOrEqual: return a <= b
    case .greater: return a > b
    case .greaterOrEqual: return a >= b
    case .equal: return a == b
    }
  }

  private static func number(_ value: JSONValue) -> Double? {
    switch value {
    case .integer(let n): Double(n)
    case .number(let n): n
    default: nil
    }
  }
}

/// Which versions `log`, `ls` and `checkout --match` keep: every given
/// condition must hold.
public struct VersionFilter: Sendable {
  /// The artifact's type.
  public var type: String?
  /// Globs on the artifact's name (`*`, `?`); any may match.
  public var names: [String] = []
  /// Aliases the version must carry (all of them).
  public var aliases: [Alias] = []
  /// Tags the version must carry (all of them).
  public var tags: [Tag] = []
  /// Metadata conditions (all of them).
  public var metadata: [MetadataCondition] = []
  /// Made at or after this time (ms since 1970).
  public var since: Int64?
  /// Made at or before this time (ms since 1970).
  public var until: Int64?

  /// A filter that keeps everything.
  public init() {}

  /// A filter from text as users type it (`art ls`'s flags, the UI's
  /// search box): aliases, tags and metadata conditions checked, times as
  /// ``TimeText`` reads them, relative to `now`.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` naming the bad part.
  public init(
    type: String?, names: [String], aliases: [String], tags: [String], conditions: [String],
    since: String?, until: String?, now: Int64
  ) throws {
    self.type = type
    self.names = names
    self.aliases = try aliases.map { try Alias($0) }
    self.tags = try tags.map { try Tag($0) }
    metadata = try conditions.map { try MetadataCondition(parsing: $0) }
    self.since = try since.map { try TimeText.milliseconds($0, now: now) }
    self.until = try until.map { try TimeText.milliseconds($0, now: now) }
  }

  /// Whether no condition is set.
  public var isEmpty: Bool {
    type == nil && names.isEmpty && aliases.isEmpty && tags.isEmpty && metadata.isEmpty
      && since == nil && until == nil
  }

  /// Whether artifact `name` can have matching versions (its name only).
  public func admits(_ name: ArtifactName) -> Bool {
    names.isEmpty || names.contains { globMatches(Array($0.utf8)[...], Array(name.text.utf8)[...]) }
  }

  /// Per artifact with a matching version (artifacts by name): the newest
  /// matching one and how many match; without conditions, each artifact's
  /// `latest` and its number of versions.
  ///
  /// A record that cannot be read is passed to `unreadable` and left out,
  /// so one missing pack does not hide every other artifact.
  public func newestPerArtifact(
    in repository: Repository, refs: Refs, unreadable: @escaping (String) -> Void
  ) throws -> [(newest: ResolvedVersion, count: Int)] {
    // A damaged journal is the repository's error, not one version's.
    _ = try repository.journal()
    var result: [(newest: ResolvedVersion, count: Int)] = []
    if isEmpty {
      for artifact in refs.artifacts {
        let versions = refs.versions(of: artifact)
        guard !versions.isEmpty, case .version(let id) = refs[RefName(artifact, .alias(.latest))]
        else { continue }
        do {
          result.append(
            (try repository.loadVersion(id, artifact: artifact, in: refs), versions.count))
        } catch let error as ArtError {
          unreadable("\(artifact):latest: \(error.message)")
        }
      }
      return result
    }
    let matching = try versions(in: repository, refs: refs, unreadable: unreadable)
    var index = 0
    while index < matching.count {
      let artifact = matching[index].artifact
      var end = index
      while end < matching.count, matching[end].artifact == artifact { end += 1 }
      result.append((matching[index], end - index))
      index = end
    }
    return result
  }

  /// The versions that match, newest first within each artifact, artifacts
  /// by name; only `artifact`'s when given, and only the first `limit`.
  ///
  /// Records are read only for artifacts whose name matches, and metadata
  /// is parsed only when a metadata condition is given. A record that
  /// cannot be read (a missing or damaged pack) is passed to `unreadable`
  /// and left out, when it is given; otherwise it throws.
  public func versions(
    in repository: Repository, refs: Refs, artifact: ArtifactName? = nil, limit: Int? = nil,
    unreadable: ((String) -> Void)? = nil
  ) throws -> [ResolvedVersion] {
    _ = try repository.journal()
    var result: [ResolvedVersion] = []
    for name in artifact.map({ [$0] }) ?? refs.artifacts where admits(name) {
      let aliasesByID = Dictionary(
        grouping: refs.aliases(of: name), by: \.id
      ).mapValues { Set($0.map(\.alias)) }
      for (number, id) in refs.versions(of: name).reversed() {
        // The first `limit` found are the answer: no more records are read.
        if let limit, result.count >= limit { return result }
        if !aliases.isEmpty, !Set(aliases).isSubset(of: aliasesByID[id] ?? []) { continue }
        let version: ResolvedVersion
        do {
          version = try repository.loadVersion(id, artifact: name, in: refs, number: number)
        } catch let error as ArtError where unreadable != nil {
          unreadable?("\(name):\(number): \(error.message)")
          continue
        }
        let record = version.record
        if let type, record.type != type { break }  // fixed per artifact
        if !tags.isEmpty, !Set(tags.map(\.text)).isSubset(of: version.journal.tags) { continue }
        if let since, record.created < since { continue }
        if let until, record.created > until { continue }
        if !metadata.isEmpty {
          let values = try Metadata.parse(Array(record.metadata.utf8), source: version.label)
          if !metadata.allSatisfy({ $0.matches(values) }) { continue }
        }
        result.append(version)
      }
    }
    return result
  }
}

/// Parses times for `--since` / `--until`.
public enum TimeText {
  /// `text` as a number when it is 1 to `count` ASCII digits.
  private static func digits(_ text: Substring, upTo count: Int) -> Int? {
    guard (1...count).contains(text.utf8.count),
      text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
    else { return nil }
    return Int(text)
  }

  /// `2024-01-31`, `2024-01-31T12:30`, `2024-01-31 12:30:15` (what `log`
  /// prints) and RFC 3339 (`2024-01-31T12:30:15.250+02:00`): UTC unless a
  /// zone is given; or a duration meaning that long ago (`7d`, `12h`).
  ///
  /// - Throws: ``ArtError`` `.invalidArgument`.
  public static func milliseconds(_ text: String, now: Int64) throws -> Int64 {
    if let ago = try? DurationText.milliseconds(text) { return now - ago }
    var body = Substring(text)
    var offset: Int64 = 0
    if body.hasSuffix("Z") || body.hasSuffix("z") {
      body = body.dropLast()
    } else if body.count > 16,
      let sign = body.dropFirst(16).lastIndex(where: { $0 == "+" || $0 == "-" })
    {
      // A zone offset after the time: +HH:MM or -HH:MM.
      let zone = body[body.index(after: sign)...].split(separator: ":")
      guard zone.count == 2, let hours = digits(zone[0], upTo: 2),
        let minutes = digits(zone[1], upTo: 2), hours < 24, minutes < 60
      else {
        throw ArtError(
          .invalidArgument, "'\(text)' is not a time: bad zone offset",
          hint: "use +HH:MM, -HH:MM or Z after the time")
      }
      offset = Int64((hours * 60 + minutes) * 60_000) * (body[sign] == "+" ? 1 : -1)
      body = body[..<sign]
    }
    var fraction: Int64 = 0
    if let dot = body.lastIndex(of: "."), body.contains(":") {
      let decimals = body[body.index(after: dot)...]
      guard let milliseconds = digits(decimals.prefix(3), upTo: 3),
        digits(decimals, upTo: 9) != nil
      else {
        throw ArtError(.invalidArgument, "'\(text)' is not a time: bad fraction of a second")
      }
      fraction = Int64(milliseconds * [100, 10, 1][decimals.prefix(3).count - 1])
      body = body[..<dot]
    }
    let parts = body.split(
      maxSplits: 1, omittingEmptySubsequences: false, whereSeparator: { $0 == "T" || $0 == " " })
    // Digits only in every field: no signs, no spaces, no overflow.
    let fields = parts[0].split(separator: "-", omittingEmptySubsequences: false)
    let date = fields.enumerated().map { digits($1, upTo: $0 == 0 ? 6 : 2) }
    let time =
      parts.count > 1
      ? parts[1].split(separator: ":", omittingEmptySubsequences: false).map {
        digits($0, upTo: 2)
      } : []
    guard date.count == 3, let year = date[0], let month = date[1], let day = date[2],
      (1...12).contains(month), (1...31).contains(day), time.count <= 3,
      parts.count == 1 || time.count >= 2,
      time.allSatisfy({ $0 != nil })
    else {
      throw ArtError(
        .invalidArgument, "'\(text)' is not a time",
        hint: "use 2024-01-31, 2024-01-31 12:30 (UTC), RFC 3339 or a duration ago such as 7d")
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    guard day <= [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] else {
      throw ArtError(
        .invalidArgument, "'\(text)' is not a date: month \(month) has no day \(day)",
        hint: "use 2024-01-31, 2024-01-31T12:30 (UTC) or a duration ago such as 7d")
    }
    let clock = time.compactMap { $0 } + [0, 0, 0]
    guard clock[0] < 24, clock[1] < 60, clock[2] < 60 else {
      throw ArtError(.invalidArgument, "'\(text)' is not a time of day")
    }
    // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    let days = era * 146_097 + dayOfEra - 719_468
    // Years far outside any clock: refused rather than overflowing.
    guard (-100_000...100_000).contains(year) else {
      throw ArtError(
        .invalidArgument, "'\(text)' is too far from today",
        hint: "give a year between -100000 and 100000")
    }
    return (Int64(days) * 86_400 + Int64(clock[0] * 3600 + clock[1] * 60 + clock[2])) * 1000
      + fraction - offset
  }
}
