import ArtStore
public import SystemPackage

/// One line of an `.artignore` file, in gitignore syntax.
///
/// `#` starts a comment, `!` negates, a leading or inner `/` anchors the
/// pattern to the file's folder, a trailing `/` matches folders only, `*`
/// and `?` and `[a-z]` match within a name, `**` across folders, and `\`
/// escapes the next character.
public struct IgnoreRule: Sendable, Equatable {
  /// The line as written, trailing spaces removed.
  public let pattern: String
  /// Its 1-based line number.
  public let line: Int
  /// Whether the rule starts with `!`: a match is not ignored.
  public let negated: Bool
  /// Whether the rule ends in `/`: only folders match.
  public let foldersOnly: Bool
  /// Whether the rule holds a `/` before its end: it matches paths from
  /// its file's folder, not a name at any depth.
  let anchored: Bool
  /// The pattern split at `/`, each a glob compiled once; nil for `**`.
  let segments: [[Glob.Token]?]

  /// Parses one line; nil for blank lines and comments.
  init?(_ text: Substring, line: Int) {
    var bytes = Array(text.utf8)
    if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
    // Trailing spaces go unless escaped with a backslash.
    while bytes.last == UInt8(ascii: " "), bytes.count >= 1 {
      if bytes.count >= 2, bytes[bytes.count - 2] == UInt8(ascii: "\\") { break }
      bytes.removeLast()
    }
    guard let first = bytes.first, first != UInt8(ascii: "#") else { return nil }
    pattern = String(decoding: bytes, as: UTF8.self)
    self.line = line
    negated = first == UInt8(ascii: "!")
    if negated { bytes.removeFirst() }
    foldersOnly = bytes.last == UInt8(ascii: "/")
    while bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
    guard !bytes.isEmpty else { return nil }
    anchored = bytes.contains(UInt8(ascii: "/"))
    segments = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
      .map { Array($0) == Array("**".utf8) ? nil : Glob.compile(Array($0)) }
    guard !segments.isEmpty else { return nil }
  }

  /// Whether the rule matches `path`, components relative to the folder
  /// of its file.
  func matches(_ path: ArraySlice<String>, isFolder: Bool) -> Bool {
    if foldersOnly, !isFolder { return false }
    guard anchored else {
      guard let name = path.last else { return false }
      guard let glob = segments[0] else { return true }  // `**` alone
      return Glob.matches(glob, Array(name.utf8))
    }
    return Self.match(segments[...], path)
  }

  /// Segments against components, `**` taking any number of them; a
  /// table over both indexes keeps it linear in their product.
  private static func match(_ pattern: ArraySlice<[Glob.Token]?>, _ path: ArraySlice<String>)
    -> Bool
  {
    let p = Array(pattern)
    let s = path.map { Array($0.utf8) }
    var table = [[Bool]](
      repeating: [Bool](repeating: false, count: s.count + 1), count: p.count + 1)
    table[p.count][s.count] = true
    for i in stride(from: p.count - 1, through: 0, by: -1) {
      for j in stride(from: s.count, through: 0, by: -1) {
        if let glob = p[i] {
          table[i][j] = j < s.count && table[i + 1][j + 1] && Glob.matches(glob, s[j])
        } else {
          // A trailing `/**` matches what is inside, not the folder itself.
          let rest = i == p.count - 1 ? false : table[i + 1][j]
          table[i][j] = rest || (j < s.count && (table[i][j + 1] || table[i + 1][j + 1]))
        }
      }
    }
    return table[0][0]
  }
}

/// The rules of one `.artignore` file.
public struct IgnoreFile: Sendable {
  /// Where it is, for messages (`data/.artignore`).
  public let source: String
  /// Its folder, as components from the top of the rules (see ``IgnoreRules``).
  let base: [String]
  /// Its rules, in file order.
  public let rules: [IgnoreRule]

  /// The largest `.artignore` art reads.
  static let maximumSize = 1 << 20

  /// Parses `bytes`, naming the file `source`.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` when the bytes are not UTF-8.
  init(parsing bytes: [UInt8], source: String, base: [String]) throws {
    guard String(validating: bytes, as: UTF8.self) != nil else {
      throw ArtError(
        .invalidArgument, "'\(source)' is not UTF-8 text",
        hint: "save it as UTF-8, one gitignore pattern a line")
    }
    self.source = source
    self.base = base
    // Split on the byte: Swift reads "\r\n" as one Character, and a file
    // saved on Windows must read as git reads it.
    var rules: [IgnoreRule] = []
    for (index, line) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
      .enumerated()
    {
      let text = Substring(String(decoding: line, as: UTF8.self))
      guard line.count <= Self.maximumPatternLength else {
        throw ArtError(
          .invalidArgument,
          "'\(source)' line \(index + 1) is longer than \(Self.maximumPatternLength) bytes",
          hint: "shorten the pattern: * and ** match any run of names")
      }
      if let rule = IgnoreRule(text, line: index + 1) { rules.append(rule) }
    }
    self.rules = rules
  }

  /// The longest pattern line art reads: matching costs its length times
  /// a name's, for every name scanned.
  static let maximumPatternLength = 1024
}

/// The rule that decided a path, and the file it came from (nil for the
/// built-in rule that leaves out `.git`).
public struct IgnoreMatch: Sendable {
  /// The file, or nil for the built-in rule.
  public let file: String?
  /// The rule.
  public let rule: IgnoreRule
  /// Whether the path is left out (the rule does not negate).
  public var ignored: Bool { !rule.negated }
}

/// The `.artignore` rules in effect in a working folder.
///
/// gitignore's precedence holds: a deeper file before a shallower one, a
/// later line before an earlier one, and a left-out folder's contents left
/// out whatever a deeper rule says. Below all of them, a built-in rule leaves out `.git`
/// at any depth (`!.git` brings it back); `.art` is never read at all.
///
/// Rules are read from the folder being scanned and the folders above it
/// up to the repository's top folder, as git reads `.gitignore` files.
/// An `.artignore` that is a symbolic link is not read (git does the same).
public struct IgnoreRules: Sendable {
  /// Files in effect, shallowest first.
  var files: [IgnoreFile] = []
  /// The scanned root's components below the top the files' bases count from.
  let rootPrefix: [String]

  /// The built-in rule.
  static let builtIn = IgnoreRule(".git", line: 0)
  /// The name of a folder's rules file, `.artignore`.
  static let fileName = Array(".artignore".utf8)

  /// Rules for scanning `root`: the `.artignore` files of every folder
  /// from `top` (when `root` is at or below it) down to `root`.
  ///
  /// - Throws: ``ArtError`` for an unreadable or non-UTF-8 `.artignore`.
  public init(root: FilePath, top: FilePath?) throws {
    let current = try Syscalls.currentDirectory()
    let root = current.pushing(root).lexicallyNormalized()
    let rootParts = root.components.map(\.string)
    var start = root
    var prefix: [String] = []
    if let top = top.map({ current.pushing($0).lexicallyNormalized() }) {
      let topParts = top.components.map(\.string)
      if rootParts.count >= topParts.count, Array(rootParts.prefix(topParts.count)) == topParts {
        start = top
        prefix = Array(rootParts.dropFirst(topParts.count))
      }
    }
    rootPrefix = prefix
    var folder = start
    var base: [String] = []
    try add(folder: folder, base: base)
    for part in prefix {
      folder.append(part)
      base.append(part)
      try add(folder: folder, base: base)
    }
  }

  /// These rules with those of `folder`'s `.artignore`, `relative`
  /// being its components below the scanned root.
  func entering(_ folder: FilePath, relative: [String]) throws -> IgnoreRules {
    var copy = self
    try copy.add(folder: folder, base: rootPrefix + relative)
    return copy
  }

  private mutating func add(folder: FilePath, base: [String]) throws {
    let path = folder.appending(".artignore")
    guard let bytes = try Self.read(path) else { return }
    let file = try IgnoreFile(parsing: bytes, source: path.string, base: base)
    if !file.rules.isEmpty { files.append(file) }
  }

  /// The file's bytes, or nil when there is none or it is not a regular
  /// file (a link is not followed, a FIFO not waited on).
  private static func read(_ path: FilePath) throws -> [UInt8]? {
    guard try Syscalls.linkStatus(path)?.kind == .regular else { return nil }
    let fd = try openForReading(path, nonBlocking: true)
    defer { try? fd.close() }
    let status = try Syscalls.status(fd, path: path)
    guard status.kind == .regular else { return nil }
    guard status.size <= IgnoreFile.maximumSize else {
      throw ArtError(
        .invalidArgument,
        "'\(path)' is larger than the \(IgnoreFile.maximumSize) bytes art reads from an ignore file",
        hint: "shorten it: a few patterns with * and ** cover most folders")
    }
    return try AtomicFile.readAll(fd, name: path.string, limit: IgnoreFile.maximumSize)
  }

  /// The rule deciding `name` in `folder` (components below the scanned
  /// root) itself.
  ///
  /// The folders on the way are not asked: the caller has already left out
  /// what is below an ignored folder. Nil when no rule matches. Called for
  /// every name a scan lists: with no `.artignore` in effect, only the
  /// built-in rule is tried, on the name alone.
  public func match(_ name: String, in folder: [String], isFolder: Bool) -> IgnoreMatch? {
    if !files.isEmpty {
      let full = rootPrefix + folder + [name]
      for file in files.reversed() where full.count > file.base.count {
        guard Array(full.prefix(file.base.count)) == file.base else { continue }
        let relative = full[file.base.count...]
        for rule in file.rules.reversed() where rule.matches(relative, isFolder: isFolder) {
          return IgnoreMatch(file: file.source, rule: rule)
        }
      }
    }
    // The built-in rule has no slash: it matches the name at any depth.
    if let builtIn = Self.builtIn, builtIn.matches([name][...], isFolder: isFolder) {
      return IgnoreMatch(file: nil, rule: builtIn)
    }
    return nil
  }

  /// Whether `name` in `folder` (components below the scanned root) is
  /// left out.
  public func ignores(_ name: String, in folder: [String], isFolder: Bool) -> Bool {
    match(name, in: folder, isFolder: isFolder)?.ignored ?? false
  }

  /// The rule that decides `path` (components below the scanned root).
  ///
  /// It decides as a scan would: the first folder on the way that is left out decides
  /// for everything below it, and `.art` is never read. Reads the
  /// `.artignore` files of the folders on the way; nil when no rule
  /// matches (the path is kept).
  ///
  /// - Throws: ``ArtError`` for an unreadable or non-UTF-8 `.artignore`.
  public func explain(_ path: [String], root: FilePath, isFolder: Bool) throws -> IgnoreMatch? {
    var rules = self
    var folder = root
    for index in path.indices {
      let prefix = Array(path[...index])
      let last = index == path.count - 1
      if path[index] == Repository.directoryName, let rule = Self.repositoryRule {
        return IgnoreMatch(file: nil, rule: rule)
      }
      let found = rules.match(
        path[index], in: Array(path[..<index]), isFolder: last ? isFolder : true)
      if last || found?.ignored == true { return found }
      folder.append(path[index])
      rules = try rules.entering(folder, relative: prefix)
    }
    return nil
  }

  /// How ``explain(_:root:isFolder:)`` names the `.art` folder, which no
  /// rule can bring back.
  static let repositoryRule = IgnoreRule(".art/", line: 0)
}

/// Glob matching within one name: `*` any run of bytes, `?` one byte,
/// `[abc]`, `[a-z]` and `[!a]` (or `[^a]`) one byte of a set, `\` escapes.
enum Glob {
  /// One step of a compiled glob.
  enum Token: Equatable, Sendable {
    case byte(UInt8)
    case any
    case star
    case set(ranges: [ClosedRange<UInt8>], negated: Bool)
  }

  /// `pattern` compiled, for ``matches(_:_:)``.
  static func compile(_ pattern: [UInt8]) -> [Token] {
    var result: [Token] = []
    var i = 0
    while i < pattern.count {
      let c = pattern[i]
      switch c {
      case UInt8(ascii: "\\") where i + 1 < pattern.count:
        result.append(.byte(pattern[i + 1]))
        i += 2
        continue
      case UInt8(ascii: "*"):
        if result.last != .star { result.append(.star) }
      case UInt8(ascii: "?"):
        result.append(.any)
      case UInt8(ascii: "["):
        if let (set, end) = parseSet(pattern, from: i + 1) {
          result.append(set)
          i = end + 1
          continue
        }
        result.append(.byte(c))
      default:
        result.append(.byte(c))
      }
      i += 1
    }
    return result
  }

  /// A set starting after `[`; nil when unterminated (then `[` is literal).
  private static func parseSet(_ p: [UInt8], from start: Int) -> (Token, Int)? {
    var i = start
    var negated = false
    if i < p.count, p[i] == UInt8(ascii: "!") || p[i] == UInt8(ascii: "^") {
      negated = true
      i += 1
    }
    var ranges: [ClosedRange<UInt8>] = []
    var first = true
    while i < p.count {
      var c = p[i]
      if c == UInt8(ascii: "]"), !first { return (.set(ranges: ranges, negated: negated), i) }
      first = false
      if c == UInt8(ascii: "\\"), i + 1 < p.count {
        i += 1
        c = p[i]
      }
      if i + 2 < p.count, p[i + 1] == UInt8(ascii: "-"), p[i + 2] != UInt8(ascii: "]") {
        let high = p[i + 2]
        if c <= high { ranges.append(c...high) }
        i += 3
      } else {
        ranges.append(c...c)
        i += 1
      }
    }
    return nil
  }

  /// Whether `name` matches `pattern`; a table over both keeps it
  /// linear in the product of their lengths, whatever the stars.
  static func matches(_ p: [Token], _ name: [UInt8]) -> Bool {
    // Most patterns and names are short, and many patterns are plain
    // names (`.git`, `node_modules`): those need no table.
    if p.count == name.count, !p.contains(where: { if case .byte = $0 { false } else { true } }) {
      return zip(p, name).allSatisfy { $0.0 == .byte($0.1) }
    }
    if !p.contains(where: { $0 == .star }), p.count != name.count { return false }
    var next = [Bool](repeating: false, count: name.count + 1)
    next[name.count] = true
    for token in p.reversed() {
      var current = [Bool](repeating: false, count: name.count + 1)
      for j in stride(from: name.count, through: 0, by: -1) {
        switch token {
        case .star:
          current[j] = next[j] || (j < name.count && current[j + 1])
        case .any:
          current[j] = j < name.count && next[j + 1]
        case .byte(let b):
          current[j] = j < name.count && name[j] == b && next[j + 1]
        case .set(let ranges, let negated):
          current[j] =
            j < name.count && next[j + 1]
            && (ranges.contains { $0.contains(name[j]) } != negated)
        }
      }
      next = current
    }
    return next[0]
  }
}
