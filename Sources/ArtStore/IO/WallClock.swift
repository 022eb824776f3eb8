/// The time art reads for version times, retention, TTL, lock and draft
/// ages, and the stat cache's racy window: the system's clock, which a test
/// can move forward for the task it runs (so no test sleeps for time to pass).
public enum WallClock {
  /// Milliseconds added to the system's clock in this task and its child
  /// tasks: what a test sets with `WallClock.$offset.withValue(…)`.
  @TaskLocal public static var offset: Int64 = 0

  /// Milliseconds since 1970, moved by ``offset``.
  public static func milliseconds() -> Int64 {
    let (sum, overflow) = Syscalls.currentTimeMilliseconds().addingReportingOverflow(offset)
    return overflow ? (offset > 0 ? .max : .min) : sum
  }
}
