import ArtStore
public import SystemPackage

/// Checks project names: the same rule as artifact names.
enum ProjectName {
  /// The name in a config key `project "NAME".path`, if valid.
  static func named(sectionKey key: String) -> String? {
    let inner = key.dropFirst("project \"".count).dropLast("\".path".count)
    return isValidLabel(String(inner)) ? String(inner) : nil
  }

  static func check(_ name: String) throws {
    guard isValidLabel(name) else {
      throw ArtError(
        .invalidArgument, "'\(name)' is not a valid project name",
        hint: "use letters, digits, '.', '_' and '-', starting with a letter or digit")
    }
  }
}

/// A version spec that may name another project: `PROJECT/NAME:LABEL`.
public struct ProjectSpec: Sendable {
  /// The project, or nil for this repository.
  public var project: String?
  /// The spec inside that project.
  public var spec: Spec

  /// Parses `[PROJECT/]SPEC`.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` for a bad project name or spec.
  public init(_ text: String) throws {
    let (project, rest) = try Self.split(text)
    self.project = project
    spec = try Spec(rest)
  }

  /// The project of `PROJECT/REST` (checked) and the rest, or nil and
  /// `text` when it names none (no `/` before any `:`).
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` for a bad project name.
  public static func split(_ text: String) throws -> (project: String?, rest: String) {
    guard let slash = text.firstIndex(of: "/"), !text[..<slash].contains(":") else {
      return (nil, text)
    }
    let name = String(text[..<slash])
    try ProjectName.check(name)
    return (name, String(text[text.index(after: slash)...]))
  }
}

extension Repository {
  /// The repository registered as project `name`, opened with a shared
  /// lock (so its gc waits while this command reads it).
  ///
  /// - Throws: ``ArtError`` `.notFound` naming the registered projects,
  ///   `.notARepository` when its folder holds no repository any more.
  public func project(_ name: String, lock request: LockRequest?) throws -> Repository {
    guard let path = configuration.projects[name] else {
      let known = configuration.projects.keys.sorted()
      throw ArtError(
        .notFound,
        "no project '\(name)'"
          + (known.isEmpty ? " (none added)" : " (projects: \(known.joined(separator: ", ")))"),
        hint: "add it with 'art project add \(name) /path/to/repository'")
    }
    do {
      return try Repository(root: path, lock: request)
    } catch let error as ArtError where error.code == .notARepository {
      throw ArtError(
        .notARepository, "project '\(name)' at '\(path)' is not an art repository any more",
        hint: "fix it with 'art project rm \(name)' and 'art project add \(name) NEW_PATH'")
    }
  }

  /// Adds `[project "NAME"] path = PATH` to `.art/config`.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` for a bad or taken name, a
  ///   path that holds no repository, or this repository itself.
  public func addProject(_ name: String, path: FilePath) throws {
    try ProjectName.check(name)
    if let existing = configuration.projects[name] {
      throw ArtError(
        .invalidArgument, "project '\(name)' already exists (at '\(existing)')",
        hint: "remove it first with 'art project rm \(name)'")
    }
    if configuration.remotes[name] != nil {
      throw ArtError(
        .invalidArgument, "'\(name)' is already a remote's name",
        hint: "pick another name: remotes and projects share NAME/artifact specs")
    }
    let other = try Repository(root: path)
    guard other.root != root else {
      throw ArtError(.invalidArgument, "'\(path)' is this repository")
    }
    try editConfig { text in
      text + (text.hasSuffix("\n") ? "" : "\n") + "[project \"\(name)\"]\n\tpath = \(path)\n"
    }
  }

  /// Removes project `name` from `.art/config`; versions already copied
  /// from it stay.
  ///
  /// - Throws: ``ArtError`` `.notFound` when there is no such project.
  public func removeProject(_ name: String) throws {
    guard configuration.projects[name] != nil else {
      throw ArtError(.notFound, "no project '\(name)'", hint: "list them with 'art project ls'")
    }
    try removeSection("project \"\(name)\"")
  }

  /// Removes the config section `[header]` and its lines.
  func removeSection(_ header: String) throws {
    try editConfig { text in
      var kept: [Substring] = []
      var skipping = false
      for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let trimmed = line.trimmingWhitespace()
        if trimmed.hasPrefix("[") {
          skipping = trimmed == "[\(header)]"
        }
        if !skipping { kept.append(line) }
      }
      let joined = kept.joined(separator: "\n")
      return text.hasSuffix("\n") && !joined.hasSuffix("\n") ? joined + "\n" : joined
    }
  }

  /// Rewrites `.art/config` through `change`, checking the result parses.
  func editConfig(_ change: (String) -> String) throws {
    let path = layout.config
    let text = String(decoding: try AtomicFile.read(path) ?? [], as: UTF8.self)
    let changed = change(text)
    _ = try Configuration(parsing: changed, file: path.string)
    try AtomicFile.write(Array(changed.utf8), to: path)
  }
}
