import ArtCore
import ArtStore

/// Shows a ``Progress`` on standard error while `body` runs — files, bytes
/// and rate, redrawn 5 times a second on one line — when standard error is
/// a terminal and `--quiet` was not given; otherwise just runs `body`.
func withProgress<R: Sendable>(
  _ label: String, quiet: Bool, output: Output, _ body: @Sendable (Progress) async throws -> R
) async throws -> R {
  let progress = Progress()
  guard !quiet, Syscalls.standardErrorIsTerminal else { return try await body(progress) }
  let start = ContinuousClock.now
  return try await withThrowingTaskGroup(of: R?.self) { group in
    group.addTask {
      while !Task.isCancelled {
        try? await Task.sleep(for: .milliseconds(200))
        let done = progress.snapshot
        let seconds =
          Double((ContinuousClock.now - start).components.attoseconds) / 1e18
          + Double((ContinuousClock.now - start).components.seconds)
        let rate = seconds > 0 ? UInt64(Double(done.bytes) / seconds) : 0
        let files = done.totalFiles.map { "\(done.files)/\($0)" } ?? "\(done.files)"
        let bytes =
          done.totalBytes.map {
            "\(Formatting.bytes(UInt64(done.bytes)))/\(Formatting.bytes(UInt64($0)))"
          } ?? Formatting.bytes(UInt64(done.bytes))
        output.write(
          Array("\r\u{1B}[K\(label): \(files) files, \(bytes), \(Formatting.bytes(rate))/s".utf8),
          to: .standardError)
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
