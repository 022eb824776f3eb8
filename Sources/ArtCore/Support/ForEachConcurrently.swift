import ArtStore

/// Runs `work` for every index below `count` on up to one task per core,
/// each task keeping its own state from `makeState`, and returns what each
/// task's `finish` made of its state.
func forEachConcurrently<State, Result: Sendable>(
  count: Int, makeState: @escaping @Sendable () -> State,
  _ work: @escaping @Sendable (inout State, Int) async throws -> Void,
  finish: @escaping @Sendable (consuming State) -> Result
) async throws -> [Result] {
  let counter = IndexCounter()
  let workers = min(Syscalls.processorCount, max(1, count))
  return try await withThrowingTaskGroup(of: Result.self) { group in
    for _ in 0..<workers {
      group.addTask {
        var state = makeState()
        while true {
          try Task.checkCancellation()
          let index = counter.claim()
          if index >= count { return finish(state) }
          try await work(&state, index)
        }
      }
    }
    var results: [Result] = []
    for try await result in group { results.append(result) }
    return results
  }
}
