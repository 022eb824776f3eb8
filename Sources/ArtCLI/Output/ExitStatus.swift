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
    case .referenceChanged, .referenceRefused: self = .referenceChanged
    case .invalidArgument, .ambiguous: self = .usage
    case .notARepository, .notFound, .unsupportedFormat, .io, .locked: self = .failure
    }
  }
}
