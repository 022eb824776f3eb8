public import ArtStore
import Synchronization
import SystemPackage

/// Where a command's text goes: standard output and error of the process,
/// or, in tests, buffers.
///
/// Standard output is buffered and flushed at the end of the command (and
/// every 64 KiB), so a listing of many lines costs few system calls.
/// Safe to share across tasks.
public final class Output: Sendable {
  /// Which stream.
  public enum Stream: Sendable { case standardOutput, standardError }

  private struct State {
    var out: [UInt8] = []
    var err: [UInt8] = []
    var quiet = false
  }

  private let capturing: Bool
  private let state = Mutex(State())

  /// The output commands write to; tests bind a capturing one.
  @TaskLocal public static var current = Output(capturing: false)

  /// An output to the process's streams, or to buffers when `capturing`.
  public init(capturing: Bool) {
    self.capturing = capturing
  }

  /// Writes `text` and a newline to standard output (nothing when quiet).
  public func line(_ text: String) {
    if isQuiet { return }
    write(Self.printable(text + "\n"), to: .standardOutput)
  }

  /// Writes `text` and a newline to standard error (nothing when quiet).
  public func note(_ text: String) {
    if isQuiet { return }
    write(Self.printable(text + "\n"), to: .standardError)
  }

  /// `text` as UTF-8 with every control character but tab and newline
  /// (escape sequences, carriage returns, C1 controls) replaced by U+FFFD:
  /// descriptions, journal users and names from a remote or project are
  /// text anyone may have written, and must not drive the terminal.
  static func printable(_ text: String) -> [UInt8] {
    func isControl(_ scalar: Unicode.Scalar) -> Bool {
      (scalar.value < 0x20 && scalar != "\t" && scalar != "\n")
        || (0x7F...0x9F).contains(scalar.value)
    }
    guard text.unicodeScalars.contains(where: isControl) else { return Array(text.utf8) }
    var scalars = String.UnicodeScalarView()
    for scalar in text.unicodeScalars { scalars.append(isControl(scalar) ? "\u{FFFD}" : scalar) }
    return Array(String(scalars).utf8)
  }

  /// From now on, only errors (``report(_:)``) are written: `-q` on a
  /// command whose output is a summary of what it did.
  public func quiet() {
    state.withLock { $0.quiet = true }
  }

  private var isQuiet: Bool { state.withLock { $0.quiet } }

  /// Writes raw bytes.
  public func write(_ bytes: some Collection<UInt8>, to stream: Stream) {
    let pending: [UInt8]? = state.withLock { state in
      switch stream {
      case .standardOutput:
        state.out += bytes
        if !capturing, state.out.count >= 64 << 10 {
          defer { state.out.removeAll(keepingCapacity: true) }
          return state.out
        }
        return nil
      case .standardError:
        if capturing {
          state.err += bytes
          return nil
        }
        // Keep the two streams in order on a terminal: what was printed to
        // standard output first appears first.
        if !state.out.isEmpty {
          _ = try? state.out.withUnsafeBytes { try FileDescriptor.standardOutput.writeAll($0) }
          state.out.removeAll(keepingCapacity: true)
        }
        return Array(bytes)
      }
    }
    if let pending {
      let fd: FileDescriptor = stream == .standardOutput ? .standardOutput : .standardError
      _ = try? pending.withUnsafeBytes { try fd.writeAll($0) }
    }
  }

  /// Writes what is buffered for standard output.
  public func flush() {
    if capturing { return }
    let pending = state.withLock { state in
      defer { state.out.removeAll(keepingCapacity: true) }
      return state.out
    }
    if !pending.isEmpty {
      _ = try? pending.withUnsafeBytes { try FileDescriptor.standardOutput.writeAll($0) }
    }
  }

  /// Reports `error` on standard error as `art: error: …` and `art: hint: …`.
  public func report(_ error: ArtError) {
    flush()
    var text = "art: error: \(error.message)"
    if let underlying = error.underlying { text += ": \(underlying)" }
    if let hint = error.hint { text += "\nart: hint: \(hint)" }
    write(Self.printable(text + "\n"), to: .standardError)
  }

  /// Writes `error` as the JSON error object on standard output:
  /// `{"error": {"code", "message", "hint", "exitStatus"}}`.
  func writeJSONError(_ error: ArtError) {
    struct Body: Encodable {
      var code: String
      var message: String
      var hint: String?
      var exitStatus: Int32
    }
    struct Object: Encodable {
      var format = 1
      var error: Body
    }
    var message = error.message
    if let underlying = error.underlying { message += ": \(underlying)" }
    let object = Object(
      error: Body(
        code: error.code.stableName, message: message, hint: error.hint,
        exitStatus: ExitStatus(error.code).rawValue))
    write(Array((Formatting.json(object) + "\n").utf8), to: .standardOutput)
    flush()
  }

  /// What was captured: standard output and standard error as text.
  public var captured: (standardOutput: String, standardError: String) {
    state.withLock {
      (String(decoding: $0.out, as: UTF8.self), String(decoding: $0.err, as: UTF8.self))
    }
  }
}
