import ArtTestSupport
import CZlib
import Testing

@testable import ArtStore

@Suite("Codec")
struct CodecTests {
  @Test(arguments: Codec.selectable, [0, 1, 63, 64, 4096, 1 << 20])
  func roundTripsText(codec: Codec, size: Int) throws {
    let input = [UInt8].text(count: size, seed: UInt64(size))
    let compressor = Compressor(compression: Compression(codec))
    let (stored, used) = try input.withUnsafeBytes { raw in
      try compressor.withCompressed(raw) { (Array($0), $1) }
    }
    if size >= 4096 && codec != .none {
      #expect(used == codec)
      #expect(stored.count < input.count)
    }
    var output = [UInt8](repeating: 0, count: size)
    try stored.withUnsafeBytes { s in
      try output.withUnsafeMutableBytes { try used.decompress(s, into: $0, subject: "test") }
    }
    #expect(output == input)
  }

  @Test(arguments: [Codec.zlib, .lz4, .zstd])
  func storesIncompressibleDataRaw(codec: Codec) throws {
    let input = [UInt8].random(count: 100_000, seed: 7)
    let used = try input.withUnsafeBytes { raw in
      try Compressor(compression: Compression(codec)).withCompressed(raw) { $1 }
    }
    #expect(used == .none)
  }

  @Test(arguments: [Codec.zlib, .lz4, .zstd])
  func rejectsTruncatedInput(codec: Codec) throws {
    let input = [UInt8].text(count: 10_000, seed: 3)
    let stored = try input.withUnsafeBytes { raw in
      try Compressor(compression: Compression(codec)).withCompressed(raw) { stored, _ in
        Array(stored)
      }
    }
    let truncated = Array(stored.dropLast(3))
    var output = [UInt8](repeating: 0, count: input.count)
    let error = #expect(throws: ArtError.self) {
      try truncated.withUnsafeBytes { s in
        try output.withUnsafeMutableBytes { try codec.decompress(s, into: $0, subject: "obj") }
      }
    }
    #expect(error?.code == .corruptData)
  }

  @Test(arguments: [1, 3, 19, -5])
  func zstdLevelsRoundTrip(level: Int) throws {
    let input = [UInt8].text(count: 200_000, seed: 9)
    let compressor = Compressor(compression: try .zstd(level: level))
    let stored = try input.withUnsafeBytes { raw in
      try compressor.withCompressed(raw) { stored, used in
        #expect(used == .zstd)
        return Array(stored)
      }
    }
    var output = [UInt8](repeating: 0, count: input.count)
    try stored.withUnsafeBytes { s in
      try output.withUnsafeMutableBytes { try Codec.zstd.decompress(s, into: $0, subject: "t") }
    }
    #expect(output == input)
  }

  /// One compressor asked for other levels object by object (as a session
  /// choosing its level asks) gives byte for byte what a fresh compressor
  /// at that level gives, also after a frame that did not fit and around
  /// a dictionary.
  @Test func aLevelPerObjectMatchesAFreshCompressor() throws {
    let labels = (0..<2_000).map { [UInt8].label(index: $0, seed: 5) }
    let dictionary = try #require(
      ZstdDictionary.train(samples: Array(labels.joined()), sizes: labels.map(\.count)))
    let text = [UInt8].text(count: 100_000, seed: 3)
    let random = [UInt8].random(count: 50_000, seed: 4)
    let steps: [([UInt8], Int, ZstdDictionary?)] = [
      (text, 3, nil), (random, 3, nil), (text, 1, nil), (labels[7], 3, dictionary),
      (text, 1, nil), (labels[8], 1, dictionary), (text, 3, nil), (random, 1, nil),
      (labels[9], 3, nil),
    ]
    let shared = Compressor(compression: .zstd)
    for (index, (input, level, dictionary)) in steps.enumerated() {
      func stored(_ compressor: Compressor, level: Int?) throws -> ([UInt8], Codec) {
        try input.withUnsafeBytes { raw in
          try compressor.withCompressed(raw, dictionary: dictionary, level: level) {
            (Array($0), $1)
          }
        }
      }
      let fresh = try stored(Compressor(compression: .zstd(level: level)), level: nil)
      let reused = try stored(shared, level: level)
      #expect(reused.0 == fresh.0 && reused.1 == fresh.1, "step \(index)")
    }
  }

  @Test func higherZstdLevelsStoreLess() throws {
    let input = [UInt8].text(count: 500_000, seed: 4)
    func size(_ compression: Compression) throws -> Int {
      try input.withUnsafeBytes { raw in
        try Compressor(compression: compression).withCompressed(raw) { stored, _ in stored.count }
      }
    }
    #expect(try size(.zstd(level: 19)) < size(.zstd))
    #expect(try size(.zstd) < size(.lz4))
  }

  @Test func parsesCompressionNames() throws {
    #expect(try Compression(name: "zstd") == .zstd)
    #expect(try Compression(name: "zstd:19").level == 19)
    #expect(try Compression(name: "zstd:19").description == "zstd:19")
    #expect(try Compression(name: "zstd:1").description == "zstd:1")
    #expect(try Compression(name: "zstd:1") != .zstd)
    #expect(Compression.zstd.choosesLevel && Compression.zstd.description == "zstd")
    #expect(try Compression(name: "lz4") == .lz4)
    for bad in ["zstd:", "zstd:0", "zstd:23", "zstd:-8", "zstd:x", "brotli", "ZSTD"] {
      let error = #expect(throws: ArtError.self) { try Compression(name: bad) }
      #expect(error?.code == .invalidArgument)
    }
  }

  /// A frame is untrusted: one that decodes to more or fewer bytes than
  /// the record says, or asks for a window past the cap, is refused without
  /// writing past the output or allocating what it asks for.
  @Test func refusesZstdFramesThatDoNotFit() throws {
    let input = [UInt8].text(count: 100_000, seed: 5)
    let stored = try input.withUnsafeBytes { raw in
      try Compressor(compression: .zstd).withCompressed(raw) { stored, _ in Array(stored) }
    }
    for size in [input.count - 1, input.count + 1, 10] {
      var output = [UInt8](repeating: 0, count: size)
      let error = #expect(throws: ArtError.self) {
        try stored.withUnsafeBytes { s in
          try output.withUnsafeMutableBytes { try Codec.zstd.decompress(s, into: $0, subject: "o") }
        }
      }
      #expect(error?.code == .corruptData)
    }
    // A frame asking for a 2^30-byte window still decodes into exactly
    // the bytes the record gives it, and no more: magic, a header with
    // only a window descriptor (exponent 30 - 10), then a last raw block
    // of 10 bytes.
    let blockHeader = UInt32(1 | (10 << 3))
    let frame: [UInt8] =
      [0x28, 0xB5, 0x2F, 0xFD, 0x00, 20 << 3]
      + [UInt8(blockHeader & 0xFF), UInt8((blockHeader >> 8) & 0xFF), UInt8(blockHeader >> 16)]
      + Array(repeating: 0x61, count: 10)
    var output = [UInt8](repeating: 0, count: 10)
    try frame.withUnsafeBytes { s in
      try output.withUnsafeMutableBytes { try Codec.zstd.decompress(s, into: $0, subject: "o") }
    }
    #expect(output == Array(repeating: 0x61, count: 10))
    var short = [UInt8](repeating: 0, count: 9)
    let shortError = #expect(throws: ArtError.self) {
      try frame.withUnsafeBytes { s in
        try short.withUnsafeMutableBytes { try Codec.zstd.decompress(s, into: $0, subject: "o") }
      }
    }
    #expect(shortError?.code == .corruptData)
  }

  /// The pack records' CRC-32 is zlib's polynomial, whatever library computes
  /// it: the check value, and zlib's own answer at every alignment and length
  /// class the folding code takes (under 16 bytes, one block, many blocks).
  @Test func crc32IsZlibs() {
    #expect(Array("123456789".utf8).withUnsafeBytes { crc32($0) } == 0xCBF4_3926)
    #expect(crc32(UnsafeRawBufferPointer(start: nil, count: 0)) == 0)
    let bytes = [UInt8].random(count: 300_000, seed: 11)
    bytes.withUnsafeBytes { all in
      for (start, count) in [(0, 1), (1, 15), (3, 16), (5, 63), (7, 64), (9, 1000), (13, 299_987)] {
        let slice = UnsafeRawBufferPointer(rebasing: all[start..<start + count])
        let zlib = CZlib.crc32(
          0, slice.baseAddress?.assumingMemoryBound(to: UInt8.self), uInt(count))
        #expect(UInt(crc32(slice)) == zlib, "bytes \(start)..<\(start + count)")
      }
    }
  }
}
