import ArtStore
import Synchronization

/// Hands out indexes 0, 1, 2, … to workers that share a list of jobs, so
/// each job is taken exactly once.
///
/// Safe to share across tasks: one atomic integer.
final class WorkCounter: Sendable {
  private let next = Atomic<Int>(0)

  /// The next unclaimed index (may be past the end of the jobs).
  func claim() -> Int {
    next.add(1, ordering: .relaxed).oldValue
  }
}

/// Runs `work` for every index below `count` on up to one task per core,
/// each task keeping its own state from `makeState`, and returns the
/// results of each task.
func forEachConcurrently<State, Result: Sendable>(
  count: Int, makeState: @escaping @Sendable () -> State,
  _ work: @escaping @Sendable (inout State, Int) throws -> Void,
  finish: @escaping @Sendable (consuming State) -> Result
) async throws -> [Result] {
  let counter = WorkCounter()
  let workers = min(Syscalls.processorCount, max(1, count))
  return try await withThrowingTaskGroup(of: Result.self) { group in
    for _ in 0..<workers {
      group.addTask {
        var state = makeState()
        while true {
          try Task.checkCancellation()
          let index = counter.claim()
          if index >= count { return finish(state) }
          try work(&state, index)
        }
      }
    }
    var results: [Result] = []
    for try await result in group { results.append(result) }
    return results
  }
}
