public import ArtStore
public import SystemPackage

/// The settings in `.art/config`.
///
/// A git-style text file:
///
/// ```
/// [core]
///     format = 1
///     compression = zstd
/// [chunking]
///     min = 65536
///     avg = 262144
///     max = 1048576
/// [pack]
///     maxSize = 1073741824
/// [aliases]
///     protected = production, best
/// ```
///
/// Chunk sizes are fixed when the repository is made; the rest may be edited.
public struct Configuration: Sendable, Equatable {
  /// The repository format this config describes; readers refuse newer ones.
  ///
  /// 2 adds renumbering lines in refs (`ds:v2 ID from ds:v1`) and the
  /// list of external references recorded here (`recorded`); 3 adds the
  /// `journal` file and renames in refs; 4 adds zstd records in packs
  /// (pack index format 2); 5 pack dictionaries (index format 3); 6 packs
  /// without a footer (index format 4), raised before the first is
  /// written. A new repository starts at 2 and is raised when it first
  /// needs more, so older art can read it till then.
  public var format = 2
  /// The codec (and level) objects are stored with unless a command says
  /// otherwise.
  public var compression = Compression.zstd
  /// Content-defined chunking sizes.
  public var chunking = ChunkerParameters.default
  /// A pack that reaches this size is closed and a new one started.
  public var maximumPackSize: UInt64 = 1 << 30
  /// Aliases whose versions `art rm` (and gc) keep unless forced.
  public var protectedAliases = ["production", "best"]
  /// A command that leaves this many packs under 16 MiB merges them (0: never).
  public var autoMergePacks = 50
  /// Retention policy, grace period and repack threshold for `art gc`.
  public var gc = GCSettings()
  /// Other repositories by name (`[project "NAME"]`, `path = …`), for
  /// `NAME/artifact:alias` specs.
  public var projects: [String: FilePath] = [:]
  /// Remotes by name (`[remote "NAME"]`, `url = s3://…` or a folder,
  /// optional `endpoint` and `region`), for push, fetch and `NAME/…` specs.
  public var remotes: [String: RemoteSpec] = [:]

  /// What is wrong with the file, if something is that still lets it be
  /// read (shown by fsck).
  public var problem: String? = nil

  /// Folders under which `file` reference entries of versions made
  /// elsewhere (cloned, pulled, imported) may be read at checkout
  /// (`[references] allow = /mnt/share, /data`); those of versions made
  /// here are always read.
  public var allowedReferencePaths: [FilePath] = []

  /// The newest repository format this build understands.
  public static let supportedFormat = 6

  /// The defaults for a new repository.
  public init() {}

  /// Parses the text of a config file; errors name `file` and the line.
  ///
  /// - Throws: ``ArtError`` with code `.invalidArgument` for a malformed
  ///   line or value, `.unsupportedFormat` for a newer format.
  public init(parsing text: String, file: String) throws {
    var section = ""
    var values: [String: (String, Int)] = [:]
    for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false)
      .enumerated()
    {
      let line = rawLine.trimmingWhitespace()
      if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
      if line.hasPrefix("[") {
        guard line.hasSuffix("]"), line.count > 2 else {
          throw Self.malformed(file, number + 1, "a section header must look like [name]")
        }
        section = String(line.dropFirst().dropLast()).trimmingWhitespace()
        continue
      }
      guard let equals = line.firstIndex(of: "="), !section.isEmpty else {
        throw Self.malformed(file, number + 1, "expected 'key = value' inside a [section]")
      }
      let key = String(line[..<equals]).trimmingWhitespace()
      let value = String(line[line.index(after: equals)...]).trimmingWhitespace()
      values["\(section).\(key)"] = (value, number + 1)
    }
    try Self.checkNames(values, file: file)
    func integer(_ key: String) throws -> Int? {
      guard let (value, line) = values[key] else { return nil }
      guard let number = Int(value), number > 0 else {
        throw Self.malformed(file, line, "\(key) must be a positive whole number, not '\(value)'")
      }
      return number
    }
    if let format = try integer("core.format") {
      guard format <= Self.supportedFormat else {
        throw ArtError(
          .unsupportedFormat, "'\(file)' is repository format \(format)",
          hint: "this repository was made by a newer art; upgrade art to use it")
      }
      self.format = format
    } else {
      // art always writes the format: a config without it was emptied or
      // cut short, and what it said (remotes, retention) is lost.
      problem =
        "'\(file)' has no [core] format line (empty or cut short?); defaults are in use"
      format = 1
    }
    if let (value, line) = values["core.compression"] {
      do {
        compression = try Compression(name: value)
      } catch {
        throw Self.malformed(
          file, line,
          "core.compression must be zstd, zstd:LEVEL (1 to 22, or -1 to -7), lz4, zlib or none, "
            + "not '\(value)'")
      }
    }
    // Every config art writes names its chunk sizes; one without them was
    // cut short or written by hand, and is read with the sizes art began
    // with, so a repository made then keeps deduplicating (fsck says so:
    // one made with others stores edited files anew until they are back).
    let defaults = ChunkerParameters.original
    let missing = ["min", "avg", "max"].filter { values["chunking." + $0] == nil }
    if problem == nil, !missing.isEmpty {
      problem =
        "'\(file)' names no [chunking] \(missing.joined(separator: ", ")); the size(s) art "
        + "began with (min = 16384, avg = 65536, max = 262144) are in use, and a repository "
        + "made with others (new ones have 65536 / 262144 / 1048576) stores edited files anew "
        + "until its sizes are put back"
    }
    let sizes = (
      minimum: try integer("chunking.min") ?? defaults.minimum,
      average: try integer("chunking.avg") ?? defaults.average,
      maximum: try integer("chunking.max") ?? defaults.maximum
    )
    do {
      chunking = try ChunkerParameters(
        minimum: sizes.minimum, average: sizes.average, maximum: sizes.maximum)
    } catch let error as ArtError {
      // The line of the size that breaks a rule, else of any size given.
      let faults = ChunkerParameters.faults(
        minimum: sizes.minimum, average: sizes.average, maximum: sizes.maximum)
      let suspects = (faults + ["min", "avg", "max"]).map { "chunking." + $0 }
      guard let line = suspects.lazy.compactMap({ values[$0]?.1 }).first else { throw error }
      throw Self.malformed(
        file, line,
        "\(error.message); chunking.min, avg and max need 64 <= min < avg < max <= 64 MiB "
          + "with avg a power of two")
    }
    if let size = try integer("pack.maxSize") {
      maximumPackSize = UInt64(size)
    }
    if let (value, line) = values["aliases.protected"] {
      let names = value.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
      for name in names where (try? Alias(name)) == nil {
        throw Self.malformed(file, line, "'\(name)' in aliases.protected is not a valid alias")
      }
      protectedAliases = names
    }
    if let (value, line) = values["pack.autoMerge"] {
      guard let count = Int(value), count >= 0 else {
        throw Self.malformed(file, line, "pack.autoMerge must be a whole number, not '\(value)'")
      }
      autoMergePacks = count
    }
    if let (value, line) = values["references.allow"] {
      for path in value.split(separator: ",").map({ $0.trimmingWhitespace() })
      where !path.isEmpty {
        guard path.hasPrefix("/") else {
          throw Self.malformed(file, line, "references.allow takes absolute folders, not '\(path)'")
        }
        allowedReferencePaths.append(FilePath(path).lexicallyNormalized())
      }
    }
    gc = try Self.gcSettings(values, file: file)
    for (key, (value, line)) in values where key.hasPrefix("project \"") {
      guard key.hasSuffix("\".path"), let name = ProjectName.named(sectionKey: key) else {
        throw Self.malformed(
          file, line, "expected [project \"NAME\"] with 'path = /absolute/path'")
      }
      guard value.hasPrefix("/") else {
        throw Self.malformed(file, line, "the path of project '\(name)' must be absolute")
      }
      projects[name] = FilePath(value)
    }
    remotes = try RemoteSpec.parse(values) { line, detail in Self.malformed(file, line, detail) }
  }

  /// `[gc]`: keepLast, keepWithin, grace, repackThreshold (percent); `[gc
  /// "TYPE"]`: keepLast, keepWithin for artifacts of that type.
  private static func gcSettings(_ values: [String: (String, Int)], file: String) throws
    -> GCSettings
  {
    var settings = GCSettings()
    func policy(_ section: String) throws -> RetentionPolicy? {
      var policy = RetentionPolicy()
      var found = false
      if let (value, line) = values[section + ".keepLast"] {
        guard let number = Int(value), number >= 0 else {
          throw malformed(file, line, "keepLast must be a whole number, not '\(value)'")
        }
        policy.keepLast = number
        found = true
      }
      if let (value, line) = values[section + ".keepWithin"] {
        do {
          policy.keepWithin = try DurationText.milliseconds(value)
        } catch {
          throw malformed(file, line, "keepWithin must be a duration such as 30d, not '\(value)'")
        }
        found = true
      }
      return found ? policy : nil
    }
    settings.policy = try policy("gc") ?? RetentionPolicy()
    for key in values.keys where key.hasPrefix("gc \"") {
      guard let close = key.dropFirst(4).firstIndex(of: "\"") else { continue }
      let type = String(key[key.index(key.startIndex, offsetBy: 4)..<close])
      if settings.policyByType[type] == nil, let found = try policy("gc \"\(type)\"") {
        settings.policyByType[type] = found
      }
    }
    if let (value, line) = values["gc.grace"] {
      do {
        settings.grace = try DurationText.milliseconds(value, allowingZero: true)
      } catch {
        throw malformed(file, line, "grace must be a duration such as 1h, not '\(value)'")
      }
    }
    if let (value, line) = values["gc.draftExpiry"] {
      do {
        settings.draftExpiry = try DurationText.milliseconds(value)
      } catch {
        throw malformed(file, line, "draftExpiry must be a duration such as 7d, not '\(value)'")
      }
    }
    if let (value, line) = values["gc.repackThreshold"] {
      guard let percent = Int(value.hasSuffix("%") ? String(value.dropLast()) : value),
        (1...100).contains(percent)
      else {
        throw malformed(file, line, "repackThreshold must be a percentage 1-100, not '\(value)'")
      }
      settings.repackThreshold = Double(percent) / 100
    }
    return settings
  }

  /// The file's text.
  public var text: String {
    """
    # art repository configuration. Chunk sizes are fixed: changing them stops
    # new data from deduplicating against what is already stored.
    [core]
    \tformat = \(format)
    \tcompression = \(compression)
    [chunking]
    \talgorithm = fastcdc-2016-nc2
    \tmin = \(chunking.minimum)
    \tavg = \(chunking.average)
    \tmax = \(chunking.maximum)
    [pack]
    \tmaxSize = \(maximumPackSize)
    [aliases]
    \tprotected = \(protectedAliases.joined(separator: ", "))

    """
  }

  /// The keys of art's own sections; `gc "TYPE"`, `project "NAME"` and
  /// `remote "NAME"` sections are checked where they are read.
  static let knownKeys: [String: [String]] = [
    "core": ["format", "compression"],
    "chunking": ["algorithm", "min", "avg", "max"],
    "pack": ["maxSize", "autoMerge"],
    "aliases": ["protected"],
    "references": ["allow"],
    "gc": ["keepLast", "keepWithin", "grace", "repackThreshold", "draftExpiry"],
  ]

  /// Refuses a key art does not know in one of its own sections (a typo
  /// such as `keeplast` would otherwise leave a setting silently unset),
  /// and a section named like one of them but not quite (`[gcc]`); other
  /// sections are left for other tools.
  private static func checkNames(_ values: [String: (String, Int)], file: String) throws {
    // Two edits apart only for longer words: `[ui]` is no typo of `[gc]`.
    func nearest(_ word: String, in names: [String]) -> String? {
      names.map { ($0, HumanText.editDistance($0.lowercased(), word.lowercased())) }
        .filter { $0.1 <= (word.count >= 5 ? 2 : 1) }.min { ($0.1, $0.0) < ($1.1, $1.0) }?.0
    }
    for (name, (_, line)) in values.sorted(by: { $0.value.1 < $1.value.1 }) {
      guard let dot = name.lastIndex(of: ".") else { continue }
      var section = String(name[..<dot])
      let key = String(name[name.index(after: dot)...])
      if section.hasPrefix("gc \"") { section = "gc \"TYPE\"" }
      let keys =
        section == "gc \"TYPE\"" ? ["keepLast", "keepWithin"] : knownKeys[section]
      if let keys {
        guard !keys.contains(key) else { continue }
        let guess = nearest(key, in: keys).map { "did you mean '\($0)'? " } ?? ""
        throw ArtError(
          .invalidArgument,
          "'\(file)' line \(line): unknown setting '\(key)' in [\(section)]; \(guess)it takes "
            + keys.map { "'\($0)'" }.joined(separator: ", "),
          hint: "fix that line of the config file by hand (or upgrade art, if a newer one "
            + "wrote it)")
      }
      let plain = section.split(separator: " ").first.map(String.init) ?? section
      if !["project", "remote"].contains(plain),
        let guess = nearest(plain, in: Array(knownKeys.keys) + ["project", "remote"])
      {
        throw malformed(
          file, line, "unknown section [\(section)]; did you mean [\(guess)]?")
      }
    }
  }

  private static func malformed(_ file: String, _ line: Int, _ detail: String) -> ArtError {
    ArtError(
      .invalidArgument, "'\(file)' line \(line): \(detail)",
      hint: "fix that line of the config file by hand")
  }
}

extension StringProtocol {
  /// The text without leading and trailing spaces, tabs and line breaks.
  public func trimmingWhitespace() -> String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
    guard let start = firstIndex(where: { !isSpace($0) }),
      let end = lastIndex(where: { !isSpace($0) })
    else { return "" }
    return String(self[start...end])
  }
}
