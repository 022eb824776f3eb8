public import ArtStore

/// The exit statuses of `art`, chosen here and nowhere else.
///
/// | status | meaning                                                     |
/// |--------|-------------------------------------------------------------|
/// | 0      | success                                                     |
/// | 1      | the command failed: missing object or file, I/O, no repository |
/// | 2      | damaged data was found (a corrupt pack, index or object)     |
/// | 3      | a reference's external data changed since it was recorded, or a reference of a version made elsewhere was refused |
/// | 64     | bad usage: a bad argument, flag, id or setting              |
/// | 130    | interrupted                                                 |
public enum ExitStatus: Int32, Sendable {
  case success = 0
  case failure = 1
  case corrupt = 2
  case referenceChanged = 3
  case usage = 64
  case interrupted = 130

  /// The status for an error of `code`.
  public init(_ code: ArtError.Code) {
    switch code {
    case .corruptData: self = .corrupt
    case .referenceChanged, .referenceRefused, .differs: self = .referenceChanged
    case .invalidArgument, .ambiguous: self = .usage
    case .notARepository, .notFound, .unsupportedFormat, .io, .locked, .conflict:
      self = .failure
    }
  }
}

extension ArtError.Code {
  /// The stable name of this kind of failure in JSON error objects
  /// (`Docs/JSON.md`); scripts branch on it, so a name never changes.
  public var stableName: String {
    switch self {
    case .invalidArgument: "usage"
    case .notARepository: "not-a-repository"
    case .notFound: "not-found"
    case .ambiguous: "ambiguous"
    case .corruptData: "damaged"
    case .unsupportedFormat: "unsupported-format"
    case .locked: "lock-timeout"
    case .conflict: "conflict"
    case .io: "io"
    case .referenceChanged: "reference-changed"
    case .referenceRefused: "reference-refused"
    case .differs: "differs"
    }
  }
}
