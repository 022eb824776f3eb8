import ArtStore

/// Copies objects out of packs about to be deleted (gc, repack) so that a
/// damaged copy never stands in for a good one.
///
/// An object in more than one of those packs (a crash's leftovers, a fetch
/// that overlapped) is read back whole, hash and all, before its copy is
/// taken; one that fails is passed over for the next pack's. Only when no
/// pack holds a good copy is the first copied as it is, for fsck to report,
/// as any object with a single damaged copy is.
struct PackCopies {
  let writer: ObjectWriter
  /// Ids found in more than one of the packs.
  let duplicates: Set<ObjectID>
  private var passedOver: [(Pack, PackEntry)] = []

  /// Copies into `writer` out of `packs`.
  init(writer: ObjectWriter, packs: [Pack]) {
    self.writer = writer
    var seen: Set<ObjectID> = []
    var duplicates: Set<ObjectID> = []
    for pack in packs {
      for id in pack.index.objectIDs where !seen.insert(id).inserted { duplicates.insert(id) }
    }
    self.duplicates = duplicates
  }

  /// Copies `entry` from `pack`, unless this session has it or it is a
  /// duplicate that does not read back whole here.
  mutating func copy(_ entry: PackEntry, from pack: Pack) throws {
    if duplicates.contains(entry.id), !writer.contains(entry.id), (try? pack.read(entry)) == nil {
      passedOver.append((pack, entry))
      return
    }
    try writer.copy(entry, from: pack)
  }

  /// Copies, as they are, the duplicates no pack held a good copy of.
  func finish() throws {
    for (pack, entry) in passedOver where !writer.contains(entry.id) {
      try writer.copy(entry, from: pack)
    }
  }
}
