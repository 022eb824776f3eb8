/// Object ids in ascending order, found through a fan-out table on their
/// first 16 bits and a binary search in the few ids that share them.
///
/// For large sets kept in a file (gc's mark): the ids are read where they
/// lie in a mapping of the file, with no copy and no hashing of each id
/// into a `Set`. A lookup touches two or three cache lines.
public struct SortedObjectIDs: Sendable {
  private enum Storage: Sendable {
    case array([ObjectID])
    /// `count` ids of 32 bytes from byte `offset` of a mapped file.
    case mapped(MappedFile, offset: Int)
  }

  private let storage: Storage
  /// The number of ids.
  public let count: Int
  /// Entry `p` is the number of ids whose first 16 bits are below `p`.
  private let fanout: [UInt32]

  /// No ids.
  public init() {
    storage = .array([])
    count = 0
    fanout = []
  }

  /// `ids`, sorted.
  public init(_ ids: some Collection<ObjectID>) {
    let sorted = Array(Set(ids)).sorted()
    storage = .array(sorted)
    count = sorted.count
    fanout = Self.fanout(count) { sorted[$0] }
  }

  /// The `count` ids of 32 bytes each at byte `offset` of `file`; nil
  /// unless they are ascending without repeats (checked) and in the file.
  public init?(in file: MappedFile, at offset: Int, count: Int) {
    guard offset >= 0, count >= 0, count <= (file.count - offset) / 32 else { return nil }
    let ascending = file.withUnsafeBytes { bytes in
      var previous: ObjectID?
      for i in 0..<count {
        let id = ObjectID(bytes: UnsafeRawBufferPointer(rebasing: bytes[(offset + 32 * i)...]))
        if let previous, !(previous < id) { return false }
        previous = id
      }
      return true
    }
    guard ascending else { return nil }
    storage = .mapped(file, offset: offset)
    self.count = count
    fanout = file.withUnsafeBytes { bytes in
      Self.fanout(count) {
        ObjectID(bytes: UnsafeRawBufferPointer(rebasing: bytes[(offset + 32 * $0)...]))
      }
    }
  }

  private static func fanout(_ count: Int, _ id: (Int) -> ObjectID) -> [UInt32] {
    guard count > 0 else { return [] }
    var table = [UInt32](repeating: 0, count: 65537)
    var next = 0
    for position in 0..<count {
      let prefix = Int(id(position).firstWord >> 48)
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

  /// Whether there are none.
  public var isEmpty: Bool { count == 0 }

  /// The ids, ascending, copied out.
  public var ids: [ObjectID] {
    switch storage {
    case .array(let ids): return ids
    case .mapped(let file, let offset):
      return file.withUnsafeBytes { bytes in
        (0..<count).map {
          ObjectID(bytes: UnsafeRawBufferPointer(rebasing: bytes[(offset + 32 * $0)...]))
        }
      }
    }
  }

  /// Whether `id` is one of them.
  public func contains(_ id: ObjectID) -> Bool {
    guard count > 0 else { return false }
    let prefix = Int(id.firstWord >> 48)
    var low = Int(fanout[prefix])
    var high = Int(fanout[prefix + 1])
    func search(_ at: (Int) -> ObjectID) -> Bool {
      while low < high {
        let middle = (low + high) / 2
        let here = at(middle)
        if here == id { return true }
        if here < id { low = middle + 1 } else { high = middle }
      }
      return false
    }
    switch storage {
    case .array(let ids):
      return ids.withUnsafeBufferPointer { ids in search { ids[$0] } }
    case .mapped(let file, let offset):
      return file.withUnsafeBytes { bytes in
        search {
          ObjectID(bytes: UnsafeRawBufferPointer(rebasing: bytes[(offset + 32 * $0)...]))
        }
      }
    }
  }
}
