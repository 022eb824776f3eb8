import ArtTestSupport
import Testing

@testable import ArtStore

@Suite("Codec")
struct CodecTests {
  @Test(arguments: Codec.allCases, [0, 1, 63, 64, 4096, 1 << 20])
  func roundTripsText(codec: Codec, size: Int) throws {
    let input = [UInt8].text(count: size, seed: UInt64(size))
    let compressor = Compressor(codec: codec)
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

  @Test(arguments: [Codec.zlib, .lz4])
  func storesIncompressibleDataRaw(codec: Codec) throws {
    let input = [UInt8].random(count: 100_000, seed: 7)
    let used = try input.withUnsafeBytes { raw in
      try Compressor(codec: codec).withCompressed(raw) { $1 }
    }
    #expect(used == .none)
  }

  @Test(arguments: [Codec.zlib, .lz4])
  func rejectsTruncatedInput(codec: Codec) throws {
    let input = [UInt8].text(count: 10_000, seed: 3)
    let stored = try input.withUnsafeBytes { raw in
      try Compressor(codec: codec).withCompressed(raw) { stored, _ in Array(stored) }
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
}
