import ArtStore
import SystemPackage

/// The record `remotes/NAME/fetched`: which remote packs a fetch found
/// whole here, so the next fetch looks only at packs new since.
///
/// Objects leave this repository only with a pack, so the record holds
/// while every local pack it lists is still here. When one is gone (gc,
/// repack, a pack lost or damaged), it is void and the fetch checks every
/// remote object again — which makes a fetch the repair of a lost pack. A
/// damaged or unreadable record is void too.
struct FetchedPacks {
  /// Remote packs all of whose objects were here.
  var remote: [ObjectID]
  /// The local packs at the time.
  var local: [ObjectID]

  private static let header = "# art-fetched v1"

  /// The record at `path`, or nil when there is none or it is damaged.
  static func read(_ path: FilePath) -> FetchedPacks? {
    guard let bytes = try? AtomicFile.read(path, limit: 1 << 30),
      let text = String(validating: bytes, as: UTF8.self)
    else { return nil }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    // A record cut short lacks its last line, and is void.
    guard lines.first == Substring(header), lines.suffix(2) == ["end", ""] else { return nil }
    lines.removeFirst()
    lines.removeLast(2)
    var record = FetchedPacks(remote: [], local: [])
    for line in lines {
      let parts = line.split(separator: " ")
      guard parts.count == 2, let id = ObjectID(String(parts[1])) else { return nil }
      switch parts[0] {
      case "remote": record.remote.append(id)
      case "local": record.local.append(id)
      default: return nil
      }
    }
    return record
  }

  /// The remote packs, when every local pack listed is still in `store`;
  /// else none.
  func stillHere(_ store: ObjectStore) -> Set<ObjectID> {
    let present = Set(store.allPacks.map(\.id))
    return local.allSatisfy(present.contains) ? Set(remote) : []
  }

  /// Updates every remote's record after a repack moved the objects of
  /// local packs `gone` into packs `fresh`, so the next fetch still looks
  /// only at new remote packs.
  ///
  /// Only a record that held when the repack began (every local pack it
  /// lists among `before`) is carried over; failure to write one only
  /// voids it, which costs the next fetch a full check.
  static func replace(
    _ gone: Set<ObjectID>, by fresh: Set<ObjectID>, before: Set<ObjectID>,
    in repository: Repository
  ) {
    guard !gone.isEmpty else { return }
    for name in repository.configuration.remotes.keys {
      let path = repository.layout.remoteFetched(name)
      guard var record = read(path), record.local.allSatisfy(before.contains),
        record.local.contains(where: gone.contains)
      else { continue }
      record.local = record.local.filter { !gone.contains($0) }
      record.local += fresh.subtracting(record.local).sorted()
      try? record.write(to: path)
    }
  }

  /// Replaces the record at `path`.
  func write(to path: FilePath) throws {
    var text = Self.header + "\n"
    for id in remote { text += "remote \(id.hex)\n" }
    for id in local { text += "local \(id.hex)\n" }
    text += "end\n"
    try AtomicFile.write(Array(text.utf8), to: path, durable: false)
  }
}
