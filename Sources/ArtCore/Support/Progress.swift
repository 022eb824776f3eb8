import Synchronization

/// Counts work done by a long command, for a progress display.
///
/// Safe to share across tasks: every counter is atomic. The library only
/// counts; the CLI decides whether and how to show it.
public final class Progress: Sendable {
  private let files = Atomic<Int>(0)
  private let bytes = Atomic<Int>(0)
  private let totalFiles = Atomic<Int>(-1)
  private let totalBytes = Atomic<Int>(-1)
  /// What is counted: `files`, `packs`, `objects`, `versions`.
  public let unit: String

  /// A progress counting `unit`, with nothing done and unknown totals.
  public init(unit: String = "files") {
    self.unit = unit
  }

  /// Sets the totals once they are known.
  public func setTotal(files: Int, bytes: Int) {
    totalFiles.store(files, ordering: .relaxed)
    totalBytes.store(bytes, ordering: .relaxed)
  }

  /// Records one more file of `size` bytes done.
  public func add(fileOf size: Int) {
    files.add(1, ordering: .relaxed)
    bytes.add(size, ordering: .relaxed)
  }

  /// Records one more file done whose bytes were counted with ``add(bytes:)``.
  public func addFile() {
    files.add(1, ordering: .relaxed)
  }

  /// Records bytes done within a file.
  public func add(bytes count: Int) {
    bytes.add(count, ordering: .relaxed)
  }

  /// Files and bytes done, and the totals (nil while unknown).
  public var snapshot: (files: Int, bytes: Int, totalFiles: Int?, totalBytes: Int?) {
    let total = totalFiles.load(ordering: .relaxed)
    let totalB = totalBytes.load(ordering: .relaxed)
    return (
      files.load(ordering: .relaxed), bytes.load(ordering: .relaxed), total < 0 ? nil : total,
      totalB < 0 ? nil : totalB
    )
  }
}
