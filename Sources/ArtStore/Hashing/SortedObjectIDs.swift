/// Object ids in ascending order, found through a fan-out table on their
/// first 16 bits and a binary search in the few ids that share them.
///
/// For large sets (gc's mark): no hashing of each id into a
/// `Set`, and a lookup touches two or three cache lines.
public struct SortedObjectIDs: Sendable {
  /// The ids, ascending.
  public let ids: [ObjectID]
  /// Entry `p` is the number of ids whose first 16 bits are below `p`.
  private let fanout: [UInt32]

  /// `ids`, sorted.
  public init(_ ids: some Collection<ObjectID>) {
    let sorted = Array(Set(ids)).sorted()
    self.ids = sorted
    // Ascending without repeats, as a sorted set is: never nil.
    fanout = Self.fanout(sorted) ?? []
  }

  /// `ids` as they are; nil unless they ascend without repeats (checked).
  public init?(ascending ids: [ObjectID]) {
    guard let fanout = Self.fanout(ids) else { return nil }
    self.ids = ids
    self.fanout = fanout
  }

  /// The number of ids.
  public var count: Int { ids.count }

  /// The fan-out table of `ids`, checking in the same pass that they
  /// ascend without repeats; nil when they do not.
  private static func fanout(_ ids: [ObjectID]) -> [UInt32]? {
    guard !ids.isEmpty else { return [] }
    var table = [UInt32](repeating: 0, count: 65537)
    var next = 0
    var previous: ObjectID?
    for (position, current) in ids.enumerated() {
      if let previous, !(previous < current) { return nil }
      previous = current
      let prefix = Int(current.firstWord >> 48)
      while next <= prefix {
        table[next] = UInt32(position)
        next += 1
      }
    }
    while next <= 65536 {
      table[next] = UInt32(ids.count)
      next += 1
    }
    return table
  }

  /// Whether `id` is one of them.
  public func contains(_ id: ObjectID) -> Bool { position(of: id) != nil }

  /// Where `id` is in ``ids``, or nil when it is not one of them.
  public func position(of id: ObjectID) -> Int? {
    guard !ids.isEmpty else { return nil }
    let prefix = Int(id.firstWord >> 48)
    var low = Int(fanout[prefix])
    var high = Int(fanout[prefix + 1])
    return ids.withUnsafeBufferPointer { ids in
      while low < high {
        let middle = (low + high) / 2
        let here = ids[middle]
        if here == id { return middle }
        if here < id { low = middle + 1 } else { high = middle }
      }
      return nil
    }
  }
}

extension [SortedObjectIDs] {
  /// Whether one of these sets holds `id`.
  public func anyContains(_ id: ObjectID) -> Bool {
    contains { $0.contains(id) }
  }
}
