public import ArtStore
public import SystemPackage

/// TTLs set after commit (`art ttl set`), which take the place of the
/// expiry in the version record (records are immutable).
///
/// File `.art/ttl`: a line `# art-ttl v1`, then one line per version,
/// sorted: `<version-id> <expiry in ms since 1970>` or `<version-id> none`.
/// Written atomically while holding the refs lock.
public enum ExpiryOverrides {
  static let header = "# art-ttl v1"

  /// The file of `repository`.
  public static func path(_ repository: Repository) -> FilePath {
    repository.layout.expiryOverrides
  }

  /// The overrides, by version id; nil values mean "never expires".
  ///
  /// - Throws: ``ArtError`` with code `.corruptData` naming the file and line.
  public static func read(_ repository: Repository) throws -> [ObjectID: Int64?] {
    let file = path(repository)
    guard let bytes = try AtomicFile.read(file, limit: 1 << 28) else { return [:] }
    func damaged(_ detail: String) -> ArtError {
      ArtError(
        .corruptData, "'\(file)' is damaged: \(detail)",
        hint: "fix or delete that line (it only holds TTLs set with 'art ttl set')")
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw damaged("not UTF-8")
    }
    let lines = text.split(separator: "\n")
    guard lines.first == Substring(header) else { throw damaged("no '\(header)' header") }
    var overrides: [ObjectID: Int64?] = [:]
    for (number, line) in lines.dropFirst().enumerated() {
      let parts = line.split(separator: " ")
      guard parts.count == 2, let id = ObjectID(parts[0]) else {
        throw damaged("line \(number + 2) is not '<version-id> <ms>|none'")
      }
      if parts[1] == "none" {
        overrides[id] = .some(nil)
      } else if let expiry = Int64(parts[1]) {
        overrides[id] = expiry
      } else {
        throw damaged("line \(number + 2) has no valid expiry")
      }
    }
    return overrides
  }

  /// Replaces the file with `overrides`.
  public static func write(_ overrides: [ObjectID: Int64?], to repository: Repository) throws {
    var text = header + "\n"
    for (id, expiry) in overrides.sorted(by: { $0.key < $1.key }) {
      text += "\(id.hex) \(expiry.map(String.init) ?? "none")\n"
    }
    try AtomicFile.write(Array(text.utf8), to: path(repository))
  }

  /// Sets the time to live of the version `spec` names to `ttl` ms from its
  /// creation (nil: never expires), under the refs lock of `refStore`;
  /// returns the version and its expiry.
  ///
  /// - Throws: ``ArtError`` for a spec naming no version, or the lock's errors.
  public static func setTimeToLive(
    _ ttl: Int64?, of spec: Spec, in repository: Repository, refStore: RefStore
  ) throws -> (ResolvedVersion, Int64?) {
    try refStore.update { refs in
      let version = try repository.resolve(spec, in: refs)
      var overrides = try read(repository)
      let expiry = ttl.map { version.record.created.addingSaturating($0) }
      overrides[version.id] = .some(expiry)
      try write(overrides, to: repository)
      return (version, expiry)
    }
  }
}
