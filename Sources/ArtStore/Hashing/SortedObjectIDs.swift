/// Object ids in ascending order, found through a fan-out table on their
/// first 16 bits and a binary search in the few ids that share them.
///
/// For large sets kept in a file (gc's mark): the ids are read where they
/// lie in the file's bytes, with no copy and no hashing of each id into a
/// `Set`. A lookup touches two or three cache lines.
public struct SortedObjectIDs: Sendable {
  private enum Storage: Sendable {
    case array([ObjectID])
    /// `count` ids of 32 bytes from byte `offset` of a file's bytes.
    case bytes([UInt8], offset: Int)
  }

  private let storage: Storage
  /// The number of ids.
  public let count: Int
  /// Entry `p` is the number of ids whose first 16 bits are below `p`.
  private let fanout: [UInt32]

  /// `ids`, sorted.
  public init(_ ids: some Collection<ObjectID>) {
    let sorted = Array(Set(ids)).sorted()
    storage = .array(sorted)
    count = sorted.count
    // Ascending without repeats, as a sorted set is: never nil.
    fanout = Self.fanout(count) { sorted[$0] } ?? []
  }

  /// The `count` ids of 32 bytes each at byte `offset` of `bytes`; nil
  /// unless they are there and ascending without repeats (checked).
  public init?(in bytes: [UInt8], at offset: Int, count: Int) {
    guard offset >= 0, count >= 0, count <= (bytes.count - offset) / 32 else { return nil }
    let fanout = bytes.withUnsafeBytes { raw in
      Self.fanout(count) { ObjectID(in: raw, at: offset + 32 * $0) }
    }
    guard let fanout else { return nil }
    storage = .bytes(bytes, offset: offset)
    self.count = count
    self.fanout = fanout
  }

  /// The fan-out table of the `count` ids `id` gives in order, checking in
  /// the same pass that they ascend without repeats; nil when they do not.
  private static func fanout(_ count: Int, _ id: (Int) -> ObjectID) -> [UInt32]? {
    guard count > 0 else { return [] }
    var table = [UInt32](repeating: 0, count: 65537)
    var next = 0
    var previous: ObjectID?
    for position in 0..<count {
      let current = id(position)
      if let previous, !(previous < current) { return nil }
      previous = current
      let prefix = Int(current.firstWord >> 48)
      while next <= prefix {
        table[next] = UInt32(position)
        next += 1
      }
    }
    while next <= 65536 {
      table[next] = UInt32(count)
      next += 1
    }
    return table
  }

  /// The ids, ascending, copied out.
  public var ids: [ObjectID] {
    switch storage {
    case .array(let ids): ids
    case .bytes(let bytes, let offset):
      bytes.withUnsafeBytes { raw in (0..<count).map { ObjectID(in: raw, at: offset + 32 * $0) } }
    }
  }

  /// Whether `id` is one of them.
  public func contains(_ id: ObjectID) -> Bool { position(of: id) != nil }

  /// Where `id` is in ``ids``, or nil when it is not one of them.
  public func position(of id: ObjectID) -> Int? {
    guard count > 0 else { return nil }
    let prefix = Int(id.firstWord >> 48)
    var low = Int(fanout[prefix])
    var high = Int(fanout[prefix + 1])
    func search(_ at: (Int) -> ObjectID) -> Int? {
      while low < high {
        let middle = (low + high) / 2
        let here = at(middle)
        if here == id { return middle }
        if here < id { low = middle + 1 } else { high = middle }
      }
      return nil
    }
    switch storage {
    case .array(let ids):
      return ids.withUnsafeBufferPointer { ids in search { ids[$0] } }
    case .bytes(let bytes, let offset):
      return bytes.withUnsafeBytes { raw in search { ObjectID(in: raw, at: offset + 32 * $0) } }
    }
  }
}

extension [SortedObjectIDs] {
  /// Whether one of these sets holds `id`.
  public func anyContains(_ id: ObjectID) -> Bool {
    contains { $0.contains(id) }
  }
}
