import ArtRemote
import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

@testable import ArtCore

@Suite("remote refs: merge, compare-and-swap, lock")
struct RefsMergeTests {
  let ds: ArtifactName

  init() throws { ds = try ArtifactName("ds") }

  func id(_ n: UInt8) -> ObjectID { ObjectHasher.id(of: [n]) }

  func refs(_ lines: [(String, ObjectID?)]) throws -> Refs {
    var refs = Refs()
    for (name, target) in lines {
      refs[try RefName(parsing: name)] = target.map { .version($0) } ?? .deleted
    }
    return refs
  }

  @Test func pushAddsVersionsAndRefusesAnotherVersionUnderTheSameNumber() throws {
    let local = try refs([("ds:v0", id(0)), ("ds:v1", id(1)), ("ds:latest", id(1))])
    var remote = try refs([("ds:v0", id(0)), ("ds:latest", id(0))])
    let changes = try RefsMerge.push(
      local: local, into: &remote, base: remote, artifacts: [ds], remoteName: "origin")
    #expect(changes.added == ["ds:v1"])
    #expect(remote[try RefName(parsing: "ds:latest")] == .version(id(1)))

    var other = try refs([("ds:v0", id(0)), ("ds:v1", id(9))])
    #expect(throws: ArtError.self) {
      try RefsMerge.push(
        local: local, into: &other, base: Refs(), artifacts: [ds], remoteName: "origin")
    }
    // A finished distributed draft takes the next number instead.
    let appended = try RefsMerge.push(
      local: local, into: &other, base: Refs(), artifacts: [ds], remoteName: "origin",
      appending: [id(1)])
    #expect(appended.renumbered.map(\.there) == [VersionNumber(2)])
    #expect(other[try RefName(parsing: "ds:v2")] == .version(id(1)))
  }

  @Test func aliasesMovedOnBothSidesConflictAndDeletionsNeedTheTrackedVersion() throws {
    let base = try refs([("ds:v0", id(0)), ("ds:v1", id(1)), ("ds:production", id(0))])
    // Moved here only: pushed.
    var remote = base
    var local = base
    local[try RefName(parsing: "ds:production")] = .version(id(1))
    let moved = try RefsMerge.push(
      local: local, into: &remote, base: base, artifacts: [ds], remoteName: "o")
    #expect(moved.aliases == ["ds:production"])
    // Moved there only: left as it is.
    var theirs = base
    theirs[try RefName(parsing: "ds:production")] = .version(id(1))
    var kept = theirs
    _ = try RefsMerge.push(
      local: base, into: &kept, base: base, artifacts: [ds], remoteName: "o")
    #expect(kept[try RefName(parsing: "ds:production")] == .version(id(1)))
    // Moved on both sides to different versions: conflict.
    var both = base
    both[try RefName(parsing: "ds:production")] = .version(id(1))
    var mine = base
    mine[try RefName(parsing: "ds:v2")] = .version(id(2))
    mine[try RefName(parsing: "ds:production")] = .version(id(2))
    #expect(throws: ArtError.self) {
      try RefsMerge.push(local: mine, into: &both, base: base, artifacts: [ds], remoteName: "o")
    }
    // Deleted here after the last fetch: deleted there too; not otherwise.
    var deleted = base
    deleted[try RefName(parsing: "ds:v1")] = .deleted
    var target = base
    let gone = try RefsMerge.push(
      local: deleted, into: &target, base: base, artifacts: [ds], remoteName: "o")
    #expect(gone.deleted == ["ds:v1"])
    var untracked = base
    _ = try RefsMerge.push(
      local: deleted, into: &untracked, base: Refs(), artifacts: [ds], remoteName: "o")
    #expect(untracked[try RefName(parsing: "ds:v1")] == .version(id(1)))
  }

  /// After a push, the base moves only for names both sides now agree on:
  /// an alias moved there alone stays unagreed, so the next pull takes it.
  @Test func aPushAgreesOnlyOnWhatBothSidesHold() throws {
    let base = try refs([("ds:v0", id(0)), ("ds:v1", id(1)), ("ds:best", id(0))])
    var remote = base
    remote[try RefName(parsing: "ds:best")] = .version(id(1))
    var local = base
    local[try RefName(parsing: "ds:v2")] = .version(id(2))
    _ = try RefsMerge.push(
      local: local, into: &remote, base: base, artifacts: [ds], remoteName: "o")
    let agreed = RefsMerge.base(afterPushing: local, merged: remote, base: base)
    #expect(agreed[try RefName(parsing: "ds:v2")] == .version(id(2)))
    #expect(agreed[try RefName(parsing: "ds:best")] == .version(id(0)))
    var pulled = local
    let changes = RefsMerge.pull(remote: remote, into: &pulled, base: agreed)
    #expect(changes.aliases == ["ds:best"] && changes.keptAliases.isEmpty)
    #expect(pulled[try RefName(parsing: "ds:best")] == .version(id(1)))
  }

  /// An alias removed there alone is removed here by pull, and a push
  /// then leaves it removed; one moved here alone is no conflict.
  @Test func anAliasRemovedThereIsRemovedHere() throws {
    let base = try refs([("ds:v0", id(0)), ("ds:v1", id(1)), ("ds:best", id(0))])
    let remote = try refs([("ds:v0", id(0)), ("ds:v1", id(1))])
    var local = base
    let changes = RefsMerge.pull(remote: remote, into: &local, base: base)
    #expect(changes.aliases == ["ds:best (removed)"] && changes.keptAliases.isEmpty)
    #expect(local[try RefName(parsing: "ds:best")] == nil)
    var after = remote
    let pushed = try RefsMerge.push(
      local: local, into: &after, base: remote, artifacts: [ds], remoteName: "o")
    let best = try RefName(parsing: "ds:best")
    #expect(pushed.aliases.isEmpty && after[best] == nil)
    // Moved here alone: the pull leaves it, silently; the push sends it.
    var moved = base
    moved[try RefName(parsing: "ds:best")] = .version(id(1))
    let quiet = RefsMerge.pull(remote: base, into: &moved, base: base)
    #expect(quiet.aliases.isEmpty && quiet.keptAliases.isEmpty)
    #expect(moved[try RefName(parsing: "ds:best")] == .version(id(1)))
  }

  /// A version made here under a number another clone used and deleted
  /// stays, never deleted, however often it pulls (pull saves no base
  /// line for it); one deleted here under a number another clone then
  /// used for its own version does not keep that version out.
  @Test func numbersDeletedOnOneSideNeverCostTheOtherItsVersion() throws {
    let remote = try refs([("ds:v0", id(0)), ("ds:v1", nil)])
    var local = try refs([("ds:v0", id(0)), ("ds:v1", id(7))])
    var base = try refs([("ds:v0", id(0))])
    for _ in 0..<2 {
      let changes = RefsMerge.pull(remote: remote, into: &local, base: base)
      #expect(changes.deleted.isEmpty)
      #expect(local[try RefName(parsing: "ds:v1")] == .version(id(7)))
      base = RefsMerge.base(afterPulling: remote, local: local, base: base)
      #expect(base[try RefName(parsing: "ds:v1")] == nil)
    }
    // Made and removed here, never pushed; another clone's v1 is taken.
    let theirs = try refs([("ds:v0", id(0)), ("ds:v1", id(8))])
    var mine = try refs([("ds:v0", id(0)), ("ds:v1", nil)])
    let taken = RefsMerge.pull(remote: theirs, into: &mine, base: try refs([("ds:v0", id(0))]))
    let v1 = try RefName(parsing: "ds:v1")
    #expect(taken.added == ["ds:v1"] && mine[v1] == .version(id(8)))
    // Deleted here after both had it: stays deleted, for push to send.
    var agreed = try refs([("ds:v0", id(0)), ("ds:v1", nil)])
    _ = RefsMerge.pull(remote: theirs, into: &agreed, base: theirs)
    #expect(agreed[try RefName(parsing: "ds:v1")] == .deleted)
  }

  /// A version deleted there since the last agreement is deleted here and
  /// reported; one never agreed on (made here under that number) stays.
  @Test func pullReportsTheVersionsItDeletes() throws {
    let base = try refs([("ds:v0", id(0)), ("ds:v1", id(1))])
    let remote = try refs([("ds:v0", id(0)), ("ds:v1", nil), ("ds:v2", nil)])
    var local = try refs([("ds:v0", id(0)), ("ds:v1", id(1)), ("ds:v2", id(7))])
    let changes = RefsMerge.pull(remote: remote, into: &local, base: base)
    #expect(changes.deleted == ["ds:v1"])
    #expect(local[try RefName(parsing: "ds:v1")] == .deleted)
    #expect(local[try RefName(parsing: "ds:v2")] == .version(id(7)))
  }

  @Test func pullRenumbersVersionsMadeHereUnderTakenNumbers() throws {
    let remote = try refs([
      ("ds:v0", id(0)), ("ds:v1", id(1)), ("ds:v2", id(2)), ("ds:best", id(2)),
      ("ds:latest", id(2)),
    ])
    var local = try refs([("ds:v0", id(0)), ("ds:v1", id(7)), ("ds:latest", id(7))])
    let tracking = try refs([("ds:v0", id(0))])
    let changes = RefsMerge.pull(remote: remote, into: &local, base: tracking)
    #expect(changes.renumbered == ["ds:v1 -> ds:v3"])
    #expect(Set(changes.added) == ["ds:v2"])
    #expect(local[try RefName(parsing: "ds:v1")] == .version(id(1)))
    #expect(local[try RefName(parsing: "ds:v3")] == .version(id(7)))
    #expect(local[try RefName(parsing: "ds:best")] == .version(id(2)))
    #expect(local[try RefName(parsing: "ds:latest")] == .version(id(7)))
  }

  @Test func lockObjectsSerialiseWritersWhereConditionsAreIgnored() async throws {
    try await withTemporaryDirectory { folder in
      let storage = FolderStorage(root: folder.appending("remote"))
      // Leases of an hour: a loaded machine must not make the held lock stale.
      let first = try await RemoteLock.acquire(storage, lease: 3_600_000)
      // While it is held, another writer cannot take it.
      let refused = await #expect(throws: ArtError.self) {
        try await RemoteLock.acquire(storage, timeout: .milliseconds(300), lease: 3_600_000)
      }
      #expect(refused?.code == .locked)
      try await first.release()
      let second = try await RemoteLock.acquire(storage, timeout: .seconds(5))
      try await second.release()
      #expect(try await storage.list("locks/").isEmpty)
      // A lock left by a process that died is stale after its lease.
      try await storage.write("locks/0-dead", [1], condition: nil)
      try FileManager.default.setAttributes(
        [.modificationDate: Date(timeIntervalSinceNow: -120)],
        ofItemAtPath: folder.appending("remote/locks/0-dead").string)
      let third = try await RemoteLock.acquire(storage, timeout: .seconds(2))
      try await third.release()
      #expect(try await storage.list("locks/").isEmpty)
    }
  }

  @Test func folderStorageComparesAndSwaps() async throws {
    try await withTemporaryDirectory { folder in
      let storage = FolderStorage(root: folder)
      let tag = try await storage.write("refs", [1], condition: .absent)
      await #expect(throws: ArtError.self) {
        try await storage.write("refs", [2], condition: .absent)
      }
      await #expect(throws: ArtError.self) {
        try await storage.write("refs", [2], condition: .matches("\"nope\""))
      }
      try await storage.write("refs", [3], condition: .matches(tag))
      #expect(try await storage.read("refs")?.bytes == [3])
      #expect(try await storage.read("refs", range: 0..<1) == [3])
      #expect(try await storage.list("").map(\.key) == ["refs"])
    }
  }
}
