import ArtStore
import ArtTestSupport
import Testing

@testable import ArtCore

/// `.art/journal`: events that merge by union and apply in time order.
@Suite("Journal")
struct JournalTests {
  let id = ObjectHasher.id(of: Array("a version".utf8))

  func event(_ time: Int64, _ fill: (inout JournalEvent) -> Void) -> JournalEvent {
    var event = JournalEvent(time: time, user: "u@h", version: id)
    fill(&event)
    return event
  }

  @Test func roundTripsAndRefusesDamage() throws {
    var log = Journal()
    log.append(event(2) { $0.tag = ["golden"] })
    log.append(event(1) { $0.set = ["acc": .number(0.9)] })
    let again = log.append(event(1) { $0.set = ["acc": .number(0.9)] })
    #expect(!again, "the same event twice")
    let bytes = Journal.encode(log)
    let back = try Journal.decode(bytes, file: "journal")
    #expect(back == log)
    #expect(back.events.map(\.time) == [1, 2])
    var cut = bytes
    cut.removeLast(10)
    #expect(throws: ArtError.self) { try Journal.decode(cut, file: "journal") }
    var flipped = bytes
    flipped[30] ^= 0x01
    #expect(throws: ArtError.self) { try Journal.decode(flipped, file: "journal") }
    // A line that parses but names no version, or a bad tag, is refused.
    for line in [#"{"time":1,"user":"u"}"#, #"{"time":1,"user":"u","version":"zz"}"#] {
      let body = "# art-journal v1\n\(line)\n"
      let text = body + "# sha256 \(ObjectHasher.id(of: Array(body.utf8)).hex)\n"
      #expect(throws: ArtError.self) { try Journal.decode(Array(text.utf8), file: "journal") }
    }
  }

  @Test func mergeIsAUnionAndTheNewestEditWins() throws {
    var here = Journal()
    here.append(event(1) { $0.tag = ["a", "b"] })
    here.append(event(5) { $0.set = ["acc": .integer(1), "lr": .integer(3)] })
    var there = here
    there.append(event(7) { $0.untag = ["b"] })
    there.append(event(6) { $0.set = ["acc": .integer(2)] })
    here.append(event(8) { $0.unset = ["lr"] })
    let taken = here.merge(there)
    #expect(taken == 2)
    let second = here.merge(there)
    #expect(second == 0, "merging again adds nothing")
    var other = there
    other.merge(here)
    #expect(other == here, "the order of merging does not matter")
    #expect(here.entries(of: id).tags == ["a"])
    let record = VersionRecord(
      artifact: "ds", type: "dataset", number: 0, root: "d", manifest: id, files: 0, size: 0,
      previous: nil, description: "old", metadata: #"{"acc":0,"keep":true}"#, created: 0,
      inputs: [], job: "", expires: nil, distributedID: "")
    let applied = here.applying(to: record, id: id)
    #expect(applied.metadata == #"{"acc":2,"keep":true}"#, "\(applied.metadata)")
    #expect(applied.description == "old")
  }

  @Test func dottedKeysReachNestedValues() {
    var metadata: [String: JSONValue] = ["aug": .object(["flip": .bool(true)]), "a.b": .integer(1)]
    Metadata.set("aug.rotation", to: .integer(15), in: &metadata)
    #expect(Metadata.value(at: "aug.rotation", in: metadata) == .integer(15))
    #expect(Metadata.value(at: "aug.flip", in: metadata) == .bool(true))
    Metadata.set("a.b", to: .integer(2), in: &metadata)
    #expect(metadata["a.b"] == .integer(2), "a literal dotted key is itself")
    Metadata.set("aug.flip", to: nil, in: &metadata)
    #expect(metadata["aug"] == .object(["rotation": .integer(15)]))
    Metadata.set("x.y", to: nil, in: &metadata)
    #expect(metadata["x"] == nil, "removing what is not there makes nothing")
  }
}
