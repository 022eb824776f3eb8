import Foundation
public import SystemPackage

/// What one run of the `art` binary did.
public struct ProcessResult: Sendable {
  /// The exit status.
  public var status: Int32
  /// Standard output, as bytes.
  public var standardOutputBytes: [UInt8]
  /// Standard error, as text.
  public var standardError: String

  /// Standard output, as text.
  public var standardOutput: String { String(decoding: standardOutputBytes, as: UTF8.self) }
  /// Standard output's lines.
  public var lines: [String] { standardOutput.split(separator: "\n").map(String.init) }

  /// A result made by hand (a command run in process).
  public init(status: Int32, standardOutputBytes: [UInt8], standardError: String) {
    self.status = status
    self.standardOutputBytes = standardOutputBytes
    self.standardError = standardError
  }
}

/// Runs the `art` binary built beside the test bundle.
public enum ArtProcess {
  /// The `art` executable in the build folder of the running tests.
  public static var binary: String {
    if let path = ProcessInfo.processInfo.environment["ART_BINARY"] { return path }
    let executable =
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
      ?? CommandLine.arguments[0]
    var url = URL(fileURLWithPath: executable).deletingLastPathComponent()
    // The test runner sits in <build>/<config>/ or in an .xctest bundle below it.
    for _ in 0..<4 {
      let candidate = url.appendingPathComponent("art").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      url = url.deletingLastPathComponent()
    }
    return "art"
  }

  /// Runs `art` with `arguments` in `directory`, feeding `input` to its
  /// standard input.
  public static func run(
    _ arguments: [String], in directory: FilePath, input: [UInt8] = []
  ) throws -> ProcessResult {
    try runTool(binary, arguments, in: directory, input: input)
  }

  /// Starts `art` without waiting; the caller kills or waits for it.
  public static func start(_ arguments: [String], in directory: FilePath) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory.string)
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
  }

  /// Runs any program.
  public static func runTool(
    _ executable: String, _ arguments: [String], in directory: FilePath, input: [UInt8] = []
  ) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory.string)
    let outPipe = Pipe()
    let errPipe = Pipe()
    let inPipe = Pipe()
    process.standardOutput = outPipe
    process.standardError = errPipe
    process.standardInput = inPipe
    try process.run()
    let writer = Thread {
      inPipe.fileHandleForWriting.write(Data(input))
      try? inPipe.fileHandleForWriting.close()
    }
    writer.start()
    // Read stderr on another thread so neither pipe can fill up and block.
    nonisolated(unsafe) var errData = Data()
    let errDone = DispatchSemaphoreLike()
    let errReader = Thread {
      errData = errPipe.fileHandleForReading.readDataToEndOfFile()
      errDone.signal()
    }
    errReader.start()
    let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
    errDone.wait()
    process.waitUntilExit()
    return ProcessResult(
      status: process.terminationStatus, standardOutputBytes: [UInt8](outData),
      standardError: String(decoding: errData, as: UTF8.self))
  }
}

/// A one-shot signal between two threads, on a condition lock.
final class DispatchSemaphoreLike: @unchecked Sendable {
  // @unchecked: all state is guarded by `condition`.
  private let condition = NSCondition()
  private var done = false

  func signal() {
    condition.lock()
    done = true
    condition.signal()
    condition.unlock()
  }

  func wait() {
    condition.lock()
    while !done { condition.wait() }
    condition.unlock()
  }
}

/// Runs the built `art` with `arguments` in `folder`: what a test of the
/// binary calls for each command.
public func art(_ arguments: String..., in folder: FilePath) throws -> ProcessResult {
  try ArtProcess.run(arguments, in: folder)
}
