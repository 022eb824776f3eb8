/// The sizes that content-defined chunking aims for.
///
/// Fixed per repository in `.art/config` at `art init`: changing them later stops new chunks from
/// deduplicating against old ones.
public struct ChunkerParameters: Sendable, Equatable {
  /// No chunk is smaller, except the last of a file.
  public var minimum: Int
  /// The size chunks cluster around; must be a power of two.
  public var average: Int
  /// No chunk is larger.
  ///
  /// Files up to this size are stored whole, as one blob.
  public var maximum: Int

  /// 64 KiB / 256 KiB / 1 MiB, what `art init` writes; `Docs/FORMAT.md`
  /// says why.
  public static let `default` = ChunkerParameters(
    unchecked: 64 << 10, average: 256 << 10, maximum: 1 << 20)

  /// 16 KiB / 64 KiB / 256 KiB: the sizes art began with, which
  /// repositories made before 2026-12-01 keep (their config names them),
  /// and what a config that names none is read with.
  public static let original = ChunkerParameters(
    unchecked: 16 << 10, average: 64 << 10, maximum: 256 << 10)

  /// Creates parameters, checking that they make sense.
  ///
  /// - Throws: ``ArtError`` with code `.invalidArgument`.
  public init(minimum: Int, average: Int, maximum: Int) throws {
    guard Self.faults(minimum: minimum, average: average, maximum: maximum).isEmpty else {
      throw ArtError(
        .invalidArgument,
        "chunk sizes \(minimum)/\(average)/\(maximum) are invalid",
        hint: "need 64 <= min < avg < max <= 64 MiB with avg a power of two")
    }
    self.minimum = minimum
    self.average = average
    self.maximum = maximum
  }

  /// The sizes that break a rule, in order (`min`, `avg`, `max`).
  ///
  /// The rules: 64 <= min < avg < max <= 64 MiB, with avg a power of two.
  /// Empty when the sizes fit together.
  public static func faults(minimum: Int, average: Int, maximum: Int) -> [String] {
    (minimum < 64 || minimum >= average ? ["min"] : [])
      + (average.nonzeroBitCount != 1 || average >= maximum ? ["avg"] : [])
      + (maximum > 64 << 20 ? ["max"] : [])
  }

  /// The largest `max` taken from a remote's `chunking` file: a repository's
  /// read buffers grow with it (three of 4 × max per file read at once).
  public static let largestFromElsewhere = 8 << 20

  /// The text of a remote's `chunking` file: `min N`, `avg N`, `max N`
  /// lines.
  public var text: String { "min \(minimum)\navg \(average)\nmax \(maximum)\n" }

  /// Parses a remote's `chunking` file, which comes from elsewhere: exactly
  /// the three lines ``text`` writes, sizes that ``init(minimum:average:maximum:)``
  /// takes, and `max` at most ``largestFromElsewhere``; nil otherwise.
  public init?(remoteText bytes: [UInt8]) {
    guard bytes.count <= 128, let text = String(validating: bytes, as: UTF8.self) else {
      return nil
    }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    guard lines.count == 4, lines[3].isEmpty else { return nil }
    var values: [Int] = []
    for (line, key) in zip(lines, ["min ", "avg ", "max "]) {
      let digits = line.dropFirst(4)
      guard line.hasPrefix(key), let value = Int(digits), value > 0, String(value) == digits else {
        return nil
      }
      values.append(value)
    }
    guard values[2] <= Self.largestFromElsewhere,
      let parameters = try? ChunkerParameters(
        minimum: values[0], average: values[1], maximum: values[2])
    else { return nil }
    self = parameters
  }

  private init(unchecked minimum: Int, average: Int, maximum: Int) {
    self.minimum = minimum
    self.average = average
    self.maximum = maximum
  }
}
