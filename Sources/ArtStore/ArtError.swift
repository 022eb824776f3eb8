/// An error from the art library, carrying enough context to be shown to a
/// user as it is.
///
/// - ``code`` says what kind of failure this is; callers branch on it, and the
///   CLI maps it to an exit status.
/// - ``message`` names the subject (a path, an object id, a pack) in one line.
/// - ``hint`` says what the user can do about it, when there is something.
/// - ``underlying`` keeps the low-level cause (an `Errno`, a codec status).
public struct ArtError: Error, CustomStringConvertible, Sendable {
  /// The kind of failure.
  public enum Code: String, Sendable, CaseIterable {
    /// A bad argument, path, spec or setting given by the user.
    case invalidArgument
    /// The command needs a repository and none was found.
    case notARepository
    /// An object, file or folder that was asked for does not exist.
    case notFound
    /// An id prefix matches more than one object.
    case ambiguous
    /// Stored bytes failed a check: checksum, hash, layout or length.
    case corruptData
    /// A file was written by a newer version of art.
    case unsupportedFormat
    /// Another process holds a lock this command needs.
    case locked
    /// The command would undo someone's work: local changes a checkout
    /// would overwrite, or a concurrent change it lost the race to.
    case conflict
    /// A folder differs from the version it was checked against
    /// (`verify --folder`).
    case differs
    /// A system call failed.
    case io
    /// Data outside the store (a reference entry) is not what was recorded.
    case referenceChanged
    /// A `file` reference entry of a version made elsewhere points outside
    /// the folders this repository allows; it was not read.
    case referenceRefused
  }

  /// The kind of failure.
  public var code: Code
  /// What failed, naming its subject.
  public var message: String
  /// What the user can do about it.
  public var hint: String?
  /// The low-level cause, if any.
  public var underlying: (any Error)?

  /// Creates an error.
  public init(
    _ code: Code, _ message: String, hint: String? = nil,
    underlying: (any Error)? = nil
  ) {
    self.code = code
    self.message = message
    self.hint = hint
    self.underlying = underlying
  }

  public var description: String {
    guard let underlying else { return message }
    return "\(message): \(underlying)"
  }
}

extension ArtError {
  /// A system call on `path` failed with `errno`.
  package static func io(_ operation: String, _ path: String, _ cause: any Error) -> ArtError {
    let text = "\(cause)"
    var hint: String? = nil
    if text.contains("No space") {
      hint = "free some disk space and run the command again"
    } else if text.contains("Permission denied") {
      hint = "check the permissions of '\(path)'"
    }
    return ArtError(
      .io, "cannot \(operation) '\(path)'", hint: hint, underlying: cause)
  }

  /// Bytes in `file` failed a check.
  package static func corrupt(_ file: String, _ detail: String) -> ArtError {
    ArtError(
      .corruptData, "'\(file)' is corrupt: \(detail)",
      hint: "run 'art verify-pack' to list every damaged object")
  }

  /// `subject` has a format version newer than this build reads.
  package static func newerFormat(_ subject: String, _ version: some BinaryInteger) -> ArtError {
    ArtError(
      .unsupportedFormat, "\(subject) has format version \(version)",
      hint: "this repository was written by a newer art; upgrade art to read it")
  }
}
