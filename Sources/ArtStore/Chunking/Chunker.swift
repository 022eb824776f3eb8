/// FastCDC content-defined chunking (Xia et al., USENIX ATC 2016) with
/// normalized chunking level 2 and cut-point skipping below the minimum.
///
/// The gear hash `h = (h << 1) &+ gear[byte]` depends on the last 64 bytes
/// only, so a cut point depends on local content: inserting bytes early in a
/// file changes the chunks near the insertion and no others. The masks test
/// the *high* bits of `h`, which mix all 64 bytes of that window.
///
/// Cost: one shift, one add and one table load per byte; no allocation.
public struct Chunker: Sendable {
  /// The sizes this chunker aims for.
  public let parameters: ChunkerParameters
  /// Mask used before the average size: 2 more bits than log2(average).
  let strictMask: UInt64
  /// Mask used after the average size: 2 fewer bits.
  let looseMask: UInt64

  /// A chunker with `parameters`.
  public init(parameters: ChunkerParameters) {
    self.parameters = parameters
    let bits = parameters.average.trailingZeroBitCount
    strictMask = highBits(bits + 2)
    looseMask = highBits(bits - 2)
  }

  /// The length of the first chunk of `data`.
  ///
  /// `data` must hold at least `parameters.maximum` bytes unless it is the
  /// rest of the file; the result is then in `minimum...maximum`, or all of
  /// `data` when it is shorter than the minimum.
  public func cutPoint(_ data: UnsafeRawBufferPointer) -> Int {
    let count = data.count
    if count <= parameters.minimum { return count }
    let end = min(count, parameters.maximum)
    let normal = min(end, parameters.average)
    var hash: UInt64 = 0
    var i = parameters.minimum
    return GearTable.values.withUnsafeBufferPointer { gear in
      let bytes = data.bindMemory(to: UInt8.self)
      while i < normal {
        hash = (hash << 1) &+ gear[Int(bytes[i])]
        if hash & strictMask == 0 { return i + 1 }
        i += 1
      }
      while i < end {
        hash = (hash << 1) &+ gear[Int(bytes[i])]
        if hash & looseMask == 0 { return i + 1 }
        i += 1
      }
      return end
    }
  }
}

private func highBits(_ count: Int) -> UInt64 {
  count <= 0 ? 0 : ~UInt64(0) << UInt64(64 - count)
}
