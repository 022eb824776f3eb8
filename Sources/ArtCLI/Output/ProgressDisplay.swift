import ArtCore
import ArtStore

/// Shows a ``Progress`` on standard error while `body` runs — a bar, files,
/// bytes and rate, redrawn 5 times a second on one line — when standard
/// error is a terminal and `--quiet` was not given; otherwise just runs
/// `body`.
func withProgress<R: Sendable>(
  _ label: String, unit: String = "files", quiet: Bool, output: Output,
  _ body: @Sendable (Progress) async throws -> R
) async throws -> R {
  let progress = Progress(unit: unit)
  guard !quiet, Syscalls.standardErrorIsTerminal else { return try await body(progress) }
  let start = ContinuousClock.now
  return try await withThrowingTaskGroup(of: R?.self) { group in
    group.addTask {
      while !Task.isCancelled {
        try? await Task.sleep(for: .milliseconds(200))
        let elapsed = ContinuousClock.now - start
        let seconds =
          Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let line = progressLine(label, progress.snapshot, unit: progress.unit, seconds: seconds)
        output.write(Array("\r\u{1B}[K\(line)".utf8), to: .standardError)
      }
      output.write(Array("\r\u{1B}[K".utf8), to: .standardError)
      return nil
    }
    let result = try await body(progress)
    group.cancelAll()
    try await group.waitForAll()
    return result
  }
}

/// One line of progress: `label [#####·····]  42% 120/300 files, 1.2 GiB/3.0
/// GiB, 410 MiB/s`; the bar and percentage appear once the total bytes are
/// known.
func progressLine(
  _ label: String, _ done: (files: Int, bytes: Int, totalFiles: Int?, totalBytes: Int?),
  unit: String = "files", seconds: Double
) -> String {
  let rate = seconds > 0 ? UInt64(Double(done.bytes) / seconds) : 0
  let files = done.totalFiles.map { "\(done.files)/\($0)" } ?? "\(done.files)"
  var bytes = Formatting.bytes(UInt64(done.bytes))
  var bar = ""
  if let total = done.totalBytes {
    bytes += "/" + Formatting.bytes(UInt64(total))
    let fraction = total > 0 ? min(1, Double(done.bytes) / Double(total)) : 1
    let width = 20
    let filled = Int(fraction * Double(width))
    let percent = Int(fraction * 100)
    bar =
      " [" + String(repeating: "#", count: filled) + String(repeating: "·", count: width - filled)
      + "] " + String(repeating: " ", count: percent < 10 ? 2 : percent < 100 ? 1 : 0)
      + "\(percent)%"
  }
  return "\(label)\(bar) \(files) \(unit), \(bytes), \(Formatting.bytes(rate))/s"
}
