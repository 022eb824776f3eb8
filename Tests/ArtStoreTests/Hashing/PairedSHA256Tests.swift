import ArtTestSupport
import CArtHash
import Testing

@testable import ArtStore

// Enabled by the CPU, not by `isAvailable`: a kernel that fails its
// self-test must fail these tests, not skip them.
@Suite("PairedSHA256", .enabled(if: art_sha256_hardware() != 0, "needs SHA-NI"))
struct PairedSHA256Tests {
  /// Where the CPU has the instructions, the self-test passed.
  @Test func isAvailableWhereTheCPUHasSHA() {
    #expect(PairedSHA256.isAvailable)
  }

  /// FIPS 180-2's examples and the empty message.
  @Test func matchesTheStandardsExamples() {
    let cases: [([UInt8], String)] = [
      ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
      (Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
      (
        Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
      ),
      (
        [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
      ),
    ]
    for (message, hex) in cases {
      var alone = PairedSHA256()
      message.withUnsafeBytes { alone.update($0) }
      var first = PairedSHA256()
      var second = PairedSHA256()
      message.withUnsafeBytes { PairedSHA256.update(&first, $0, &second, $0) }
      #expect(alone.finalize().hex == hex)
      #expect(first.finalize().hex == hex && second.finalize().hex == hex)
    }
  }

  /// Two streams of unrelated lengths, fed in random pieces, some alone and
  /// some paired, each hash as swift-crypto hashes its whole message.
  @Test func pairedStreamsInRandomPiecesMatchSwiftCrypto() {
    var random = SplitMix64(seed: 19)
    for round in 0..<300 {
      let a = [UInt8].random(count: Int(random.next() % 5000), seed: UInt64(2 * round))
      let b = [UInt8].random(count: Int(random.next() % 5000), seed: UInt64(2 * round + 1))
      var hashA = PairedSHA256()
      var hashB = PairedSHA256()
      var (atA, atB) = (0, 0)
      a.withUnsafeBytes { bytesA in
        b.withUnsafeBytes { bytesB in
          while atA < a.count || atB < b.count {
            let takeA = min(a.count - atA, Int(random.next() % 300))
            let takeB = min(b.count - atB, Int(random.next() % 300))
            let pieceA = UnsafeRawBufferPointer(rebasing: bytesA[atA..<atA + takeA])
            let pieceB = UnsafeRawBufferPointer(rebasing: bytesB[atB..<atB + takeB])
            switch random.next() % 3 {
            case 0: PairedSHA256.update(&hashA, pieceA, &hashB, pieceB)
            case 1: PairedSHA256.update(&hashB, pieceB, &hashA, pieceA)
            default:
              hashA.update(pieceA)
              hashB.update(pieceB)
            }
            atA += takeA
            atB += takeB
          }
        }
      }
      #expect(hashA.finalize() == ObjectHasher.id(of: a), "round \(round), a")
      #expect(hashB.finalize() == ObjectHasher.id(of: b), "round \(round), b")
    }
  }
}
