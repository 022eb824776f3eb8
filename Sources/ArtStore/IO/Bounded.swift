/// Runs `body` for every index below `count`, at most `limit` at once, and
/// returns the results in index order; the first error cancels the rest.
package func concurrentMap<T: Sendable>(
  count: Int, limit: Int, _ body: @escaping @Sendable (Int) async throws -> T
) async throws -> [T] {
  try await withThrowingTaskGroup(of: (Int, T).self) { group in
    var results: [T?] = Array(repeating: nil, count: count)
    var next = 0
    func start() {
      guard next < count else { return }
      let index = next
      next += 1
      group.addTask { (index, try await body(index)) }
    }
    for _ in 0..<max(1, limit) { start() }
    while let (index, value) = try await group.next() {
      results[index] = value
      start()
    }
    return results.compactMap { $0 }
  }
}
