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

  /// 16 KiB / 64 KiB / 256 KiB: what repositories made before 2026-12-01
  /// were given, and still use (their config says so).
  public static let small = ChunkerParameters(
    unchecked: 16 << 10, average: 64 << 10, maximum: 256 << 10)

  /// Creates parameters, checking that they make sense.
  ///
  /// - Throws: ``ArtError`` with code `.invalidArgument`.
  public init(minimum: Int, average: Int, maximum: Int) throws {
    guard minimum >= 64, minimum < average, average < maximum, maximum <= 64 << 20,
      average.nonzeroBitCount == 1
    else {
      throw ArtError(
        .invalidArgument,
        "chunk sizes \(minimum)/\(average)/\(maximum) are invalid",
        hint: "need 64 <= min < avg < max <= 64 MiB with avg a power of two")
    }
    self.minimum = minimum
    self.average = average
    self.maximum = maximum
  }

  private init(unchecked minimum: Int, average: Int, maximum: Int) {
    self.minimum = minimum
    self.average = average
    self.maximum = maximum
  }
}
