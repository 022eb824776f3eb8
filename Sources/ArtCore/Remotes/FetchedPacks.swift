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
  ///
  /// Read as bytes: a remote a push per version filled lists a thousand
  /// packs here, and every fetch reads them.
  static func read(_ path: FilePath) -> FetchedPacks? {
    guard let bytes = try? AtomicFile.read(path, limit: 1 << 30) else { return nil }
    return bytes.withUnsafeBytes { all -> FetchedPacks? in
      let head = Array((header + "\n").utf8)
      let tail = Array("end\n".utf8)
      // A record cut short lacks its last line, and is void.
      guard all.count >= head.count + tail.count, all.starts(with: head),
        all.suffix(tail.count).elementsEqual(tail)
      else { return nil }
      var record = FetchedPacks(remote: [], local: [])
      var start = head.count
      let end = all.count - tail.count
      // Each line is `remote HEX` or `local HEX`, 64 hex digits.
      while start < end {
        guard let newline = all[start..<end].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let line = UnsafeRawBufferPointer(rebasing: all[start..<newline])
        start = newline + 1
        guard line.count > 64, line[line.count - 65] == UInt8(ascii: " "),
          let id = ObjectID(hexBytes: UnsafeRawBufferPointer(rebasing: line[(line.count - 64)...]))
        else { return nil }
        switch line.count - 65 {
        case 6 where line.starts(with: "remote".utf8): record.remote.append(id)
        case 5 where line.starts(with: "local".utf8): record.local.append(id)
        default: return nil
        }
      }
      return record
    }
  }

  /// The remote packs, when every local pack listed is still in `store`,
  /// its file whole (``Pack/fileLooksWhole``); else none.
  func stillHere(_ store: ObjectStore) -> Set<ObjectID> {
    let present = Set(store.allPacks.filter(\.fileLooksWhole).map(\.id))
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
