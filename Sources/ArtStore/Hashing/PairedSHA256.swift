import CArtHash

/// SHA-256 on the CPU's SHA instructions, for hashing two streams at once.
///
/// Each SHA round instruction waits on the one before, so a single stream
/// leaves the unit idle half the time: two streams interleaved hash 1.7
/// times the bytes per second of one on this machine's CPU. A large file's
/// every byte is hashed twice (its chunk's id and the whole file's id), and
/// ``update(_:_:_:_:)`` does both in one pass.
///
/// Only where ``isAvailable``: x86-64 with SHA-NI, and the answers match
/// swift-crypto's on a self-test; elsewhere callers use ``ObjectHasher``.
struct PairedSHA256 {
  /// Whether this CPU has the instructions and this build hashes right.
  static let isAvailable = art_sha256_hardware() != 0 && selfTestPasses()

  private var state: SIMD8<UInt32> = [
    0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a,
    0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
  ]
  /// Bytes of an incomplete block, the first `pendingCount` of them.
  private var pending = SIMD64<UInt8>()
  private var pendingCount = 0
  /// Bytes added so far.
  private var length: UInt64 = 0

  /// A fresh hash.
  init() {}

  /// Adds `bytes` to this stream.
  mutating func update(_ bytes: UnsafeRawBufferPointer) {
    var rest = bytes
    fillPending(&rest)
    compressWholeBlocks(&rest)
    keepTail(rest)
  }

  /// Adds `bytesA` to `a` and `bytesB` to `b`, their whole blocks two at a time.
  static func update(
    _ a: inout PairedSHA256, _ bytesA: UnsafeRawBufferPointer,
    _ b: inout PairedSHA256, _ bytesB: UnsafeRawBufferPointer
  ) {
    var restA = bytesA
    var restB = bytesB
    a.fillPending(&restA)
    b.fillPending(&restB)
    let blocks = min(restA.count, restB.count) / 64
    // Whole blocks left in both means neither has pending bytes.
    if blocks > 0, let baseA = restA.baseAddress, let baseB = restB.baseAddress {
      a.withStateWords { stateA in
        b.withStateWords { stateB in
          art_sha256_blocks2(
            stateA, baseA.assumingMemoryBound(to: UInt8.self), stateB,
            baseB.assumingMemoryBound(to: UInt8.self), blocks)
        }
      }
      a.length += UInt64(64 * blocks)
      b.length += UInt64(64 * blocks)
      restA = UnsafeRawBufferPointer(rebasing: restA[(64 * blocks)...])
      restB = UnsafeRawBufferPointer(rebasing: restB[(64 * blocks)...])
    }
    a.compressWholeBlocks(&restA)
    a.keepTail(restA)
    b.compressWholeBlocks(&restB)
    b.keepTail(restB)
  }

  /// The id of every byte added.
  func finalize() -> ObjectID {
    var last = self
    let bits = length &* 8
    // 0x80, zeros to 56 bytes into a block, then the length in bits.
    var padding = [UInt8](repeating: 0, count: 72)
    padding[0] = 0x80
    let zeros = (119 - pendingCount) % 64
    for index in 0..<8 {
      padding[1 + zeros + index] = UInt8(truncatingIfNeeded: bits >> (56 - 8 * index))
    }
    padding.withUnsafeBytes { last.update(UnsafeRawBufferPointer(rebasing: $0[0..<(9 + zeros)])) }
    var digest = [UInt8](repeating: 0, count: 32)
    for index in 0..<8 {
      for byte in 0..<4 {
        digest[4 * index + byte] = UInt8(truncatingIfNeeded: last.state[index] >> (24 - 8 * byte))
      }
    }
    return ObjectID(digest)
  }

  /// Completes a started block from the front of `rest`, compressing it
  /// once full.
  private mutating func fillPending(_ rest: inout UnsafeRawBufferPointer) {
    guard pendingCount > 0 else { return }
    let taken = min(64 - pendingCount, rest.count)
    withUnsafeMutableBytes(of: &pending) { block in
      UnsafeMutableRawBufferPointer(rebasing: block[pendingCount..<pendingCount + taken])
        .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[..<taken]))
    }
    pendingCount += taken
    length += UInt64(taken)
    rest = UnsafeRawBufferPointer(rebasing: rest[taken...])
    guard pendingCount == 64 else { return }
    var block = pending
    withUnsafeBytes(of: &block) { compress($0.baseAddress, blocks: 1) }
    pendingCount = 0
  }

  /// Compresses the whole blocks at the front of `rest`; needs no pending bytes.
  private mutating func compressWholeBlocks(_ rest: inout UnsafeRawBufferPointer) {
    let blocks = rest.count / 64
    guard blocks > 0, pendingCount == 0 else { return }
    compress(rest.baseAddress, blocks: blocks)
    length += UInt64(64 * blocks)
    rest = UnsafeRawBufferPointer(rebasing: rest[(64 * blocks)...])
  }

  /// Keeps what is left of `rest` (under a block, with no pending bytes:
  /// ``fillPending(_:)`` and ``compressWholeBlocks(_:)`` ran) for later.
  private mutating func keepTail(_ rest: UnsafeRawBufferPointer) {
    guard !rest.isEmpty else { return }
    withUnsafeMutableBytes(of: &pending) { block in
      UnsafeMutableRawBufferPointer(rebasing: block[0..<rest.count]).copyMemory(from: rest)
    }
    pendingCount = rest.count
    length += UInt64(rest.count)
  }

  /// Runs the compression function over `blocks` whole blocks at `data`.
  private mutating func compress(_ data: UnsafeRawPointer?, blocks: Int) {
    guard let data else { return }
    withStateWords { art_sha256_blocks($0, data.assumingMemoryBound(to: UInt8.self), blocks) }
  }

  /// Calls `body` with the eight state words, H0 first.
  private mutating func withStateWords<R>(_ body: (UnsafeMutablePointer<UInt32>) -> R) -> R {
    withUnsafeMutablePointer(to: &state) { vector in
      vector.withMemoryRebound(to: UInt32.self, capacity: 8, body)
    }
  }

  /// Hashes lengths around the block size, alone and paired at every offset
  /// between the two streams, and compares with swift-crypto.
  private static func selfTestPasses() -> Bool {
    let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 167 &+ 13) }
    return bytes.withUnsafeBytes { all in
      for count in [0, 1, 55, 56, 63, 64, 65, 119, 128, 200, 300] {
        let slice = UnsafeRawBufferPointer(rebasing: all[0..<count])
        var alone = PairedSHA256()
        alone.update(slice)
        var first = PairedSHA256()
        var second = PairedSHA256()
        first.update(UnsafeRawBufferPointer(rebasing: all[0..<min(count, 3)]))
        update(
          &first, UnsafeRawBufferPointer(rebasing: all[min(count, 3)..<count]), &second, slice)
        let expected = ObjectHasher.id(of: slice)
        guard alone.finalize() == expected, first.finalize() == expected,
          second.finalize() == expected
        else { return false }
      }
      return true
    }
  }
}
