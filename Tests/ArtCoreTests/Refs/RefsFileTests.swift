import ArtStore
import Testing

@testable import ArtCore

/// The refs file's parser: version numbers, and decoding the same bytes
/// twice (the second time from the recently decoded files).
@Suite("Refs file")
struct RefsFileTests {
  @Test(
    arguments: [
      ("v0", 0), ("v7", 7), ("v12", 12), ("v9007199254740992", 9_007_199_254_740_992),
    ] as [(String, UInt64)])
  func versionNumbersParse(text: String, value: UInt64) {
    #expect(VersionNumber(text)?.value == value)
  }

  @Test(
    arguments: [
      "", "v", "V1", "v01", "v00", "v-1", "v+1", "v1a", "v 1", "1", "v9007199254740993",
      "v99999999999999999999", "v١", "vé",
    ])
  func otherLabelsAreNotVersionNumbers(text: String) {
    #expect(VersionNumber(text) == nil)
  }

  /// The versions an error lists name only numbers that exist: runs of
  /// consecutive ones joined, long lists cut in the middle.
  @Test func versionListsJoinOnlyConsecutiveNumbers() {
    let numbers = [4, 5, 15, 0].map { VersionNumber(UInt64($0)) }
    #expect(Spec.runs(numbers) == "v0, v4–v5, v15")
    #expect(Spec.runs([VersionNumber(3)]) == "v3")
    let many = stride(from: 0, to: 40, by: 2).map { VersionNumber(UInt64($0)) }
    #expect(Spec.runs(many) == "v0, v2, v4, v6, …, v34, v36, v38")
  }

  @Test func decodingTheSameBytesAgainGivesTheSameRefsAndDamageIsStillFound() throws {
    var refs = Refs()
    let id = ObjectHasher.id(of: Array("a".utf8))
    let other = ObjectHasher.id(of: Array("b".utf8))
    refs[RefName(try ArtifactName("ds"), .version(VersionNumber(0)))] = .version(id)
    refs[RefName(try ArtifactName("ds"), .alias(try Alias("latest")))] = .version(id)
    var later = refs
    later[RefName(try ArtifactName("ds"), .version(VersionNumber(1)))] = .version(other)
    let first = RefStore.encode(refs)
    let second = RefStore.encode(later)
    for _ in 0..<2 {
      #expect(try RefStore.decode(first, file: "refs") == refs)
      #expect(try RefStore.decode(second, file: "refs") == later)
    }
    // One byte changed in the bytes just decoded: parsed again, and refused.
    var damaged = second
    damaged[20] ^= 1
    #expect(throws: ArtError.self) { try RefStore.decode(damaged, file: "refs") }
    #expect(throws: ArtError.self) { try RefStore.decode(Array(second.dropLast(3)), file: "refs") }
    #expect(try RefStore.decode(second, file: "refs") == later)
  }
}
