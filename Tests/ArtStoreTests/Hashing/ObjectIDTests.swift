import ArtTestSupport
import Testing

@testable import ArtStore

@Suite("ObjectID")
struct ObjectIDTests {
  @Test func hexRoundTripsAndMatchesSHA256() throws {
    // sha256("hello\n"), as printed by sha256sum.
    let id = ObjectHasher.id(of: Array("hello\n".utf8))
    #expect(id.hex == "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
    #expect(ObjectID(id.hex) == id)
    #expect(ObjectID(id.hex.uppercased()) == id)
    #expect(ObjectID(id.bytes) == id)
  }

  @Test func rejectsMalformedHex() {
    #expect(ObjectID("abc") == nil)
    #expect(ObjectID(String(repeating: "g", count: 64)) == nil)
    #expect(ObjectID(String(repeating: "0", count: 65)) == nil)
  }

  @Test func ordersAsBytes() throws {
    let low = ObjectID("00" + String(repeating: "f", count: 62))
    let high = ObjectID("01" + String(repeating: "0", count: 62))
    #expect(try #require(low) < #require(high))
  }

  @Test func prefixNeedsFourHexDigits() throws {
    #expect(throws: ArtError.self) { try ObjectIDPrefix("abc") }
    #expect(throws: ArtError.self) { try ObjectIDPrefix("wxyz") }
    let prefix = try ObjectIDPrefix("5891B5")
    #expect(prefix.matches(ObjectHasher.id(of: Array("hello\n".utf8))))
  }
}
