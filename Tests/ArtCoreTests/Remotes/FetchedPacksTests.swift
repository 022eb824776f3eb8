import ArtStore
import ArtTestSupport
import SystemPackage
import Testing

@testable import ArtCore

/// The record of remote packs a fetch found here: read back as written,
/// and void (nil) when cut short or damaged, which costs only a full check.
@Suite("Fetched packs record")
struct FetchedPacksTests {
  let record = FetchedPacks(
    remote: (0..<3).map { ObjectHasher.id(of: [UInt8($0)]) },
    local: [ObjectHasher.id(of: Array("local".utf8))])

  func readBack(_ edit: (inout [UInt8]) -> Void) async throws -> FetchedPacks? {
    try await withTemporaryDirectory { folder in
      let path = folder.appending("fetched")
      try record.write(to: path)
      var bytes = try readFile(path)
      edit(&bytes)
      try writeFile(bytes, to: path)
      return FetchedPacks.read(path)
    }
  }

  @Test func readsBackWhatItWrote() async throws {
    let read = try #require(try await readBack { _ in })
    #expect(read.remote == record.remote)
    #expect(read.local == record.local)
  }

  @Test func aRecordCutShortOrDamagedIsVoid() async throws {
    let text = { (bytes: [UInt8]) in String(decoding: bytes, as: UTF8.self) }
    let edits: [(String, (inout [UInt8]) -> Void)] = [
      ("cut before its end line", { $0.removeLast(4) }),
      ("cut inside a line", { $0.removeLast(40) }),
      ("empty", { $0 = [] }),
      ("another header", { $0 = Array(text($0).replacing("v1", with: "v2").utf8) }),
      ("an unknown word", { $0 = Array(text($0).replacing("local ", with: "other ").utf8) }),
      ("two spaces", { $0 = Array(text($0).replacing("local ", with: "local  ").utf8) }),
      ("a long id", { $0 = Array(text($0).replacing("\nend", with: "0\nend").utf8) }),
      ("not hex", { $0["# art-fetched v1\nremote ".utf8.count] = UInt8(ascii: "g") }),
      ("nothing after the end line", { $0 += Array("x".utf8) }),
    ]
    for (what, edit) in edits {
      #expect(try await readBack(edit) == nil, "\(what)")
    }
  }
}
