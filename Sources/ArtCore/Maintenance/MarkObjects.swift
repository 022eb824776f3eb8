import ArtStore
import Synchronization
import SystemPackage

/// The objects of gc's mark.
///
/// The first segment's, nearly all of a large mark, stay in the file and
/// are read a block of ``MarkSegment/idsPerBlock`` ids at a time, as lookups
/// need them, each block checked against its CRC-32 once: a gc after one
/// new version looks up a few hundred ids, not the 10 MB a mark of 1,000
/// versions of 20,000 files takes. The later segments' are held in memory.
///
/// A block found damaged counts every id looked up in it as in the mark,
/// and sets ``isDamaged``: gc then decides again without the mark, before
/// it changes anything.
final class MarkObjects: Sendable {
  private let file: MarkFile
  private let first: MarkSegment
  private let later: SortedObjectIDs
  private let loaded = Mutex(Loaded())

  private struct Loaded {
    var blocks: [Int: [ObjectID]] = [:]
    /// The first segment's objects, once read whole (``all()``).
    var whole: SortedObjectIDs?
    var damaged = false
  }

  /// The objects of `first`, in `file`, and `later`; closes the file when
  /// released.
  init(file: MarkFile, first: MarkSegment, later: [ObjectID]) {
    self.file = file
    self.first = first
    self.later = SortedObjectIDs(later)
  }

  deinit { try? file.descriptor.close() }

  /// The number of objects.
  var count: Int { first.objectCount + later.count }

  /// Whether a block read so far failed its checks.
  var isDamaged: Bool { loaded.withLock { $0.damaged } }

  /// Whether `id` is one of them (true, too, when the block it would be in
  /// is damaged: see ``isDamaged``).
  func contains(_ id: ObjectID) -> Bool {
    if later.contains(id) { return true }
    if let whole = loaded.withLock({ $0.whole }) { return whole.contains(id) }
    // The last block whose first id is not above `id`.
    var low = 0
    var high = first.blocks.count
    while low < high {
      let middle = (low + high) / 2
      if first.blocks[middle].first <= id { low = middle + 1 } else { high = middle }
    }
    guard low > 0 else { return false }
    guard let ids = block(low - 1) else { return true }
    var (start, end) = (0, ids.count)
    while start < end {
      let middle = (start + end) / 2
      if ids[middle] == id { return true }
      if ids[middle] < id { start = middle + 1 } else { end = middle }
    }
    return false
  }

  /// Block `number` of the first segment, read and checked on first use;
  /// nil when it is damaged.
  private func block(_ number: Int) -> [ObjectID]? {
    loaded.withLock { state in
      if let ids = state.blocks[number] { return ids }
      let start = number * MarkSegment.idsPerBlock
      guard
        let ids = first.objects(
          from: start, count: min(MarkSegment.idsPerBlock, first.objectCount - start), in: file)
      else {
        state.damaged = true
        return nil
      }
      state.blocks[number] = ids
      return ids
    }
  }

  /// Every object, as the first segment's and the later ones'.
  ///
  /// Nil when a block is damaged (``isDamaged`` is then set). Read once:
  /// later lookups are answered from it.
  func all() -> [SortedObjectIDs]? {
    if let whole = loaded.withLock({ $0.whole }) { return [whole, later] }
    guard let ids = first.objects(from: 0, count: first.objectCount, in: file),
      let whole = SortedObjectIDs(ascending: ids)
    else {
      loaded.withLock { $0.damaged = true }
      return nil
    }
    loaded.withLock { $0.whole = whole }
    return [whole, later]
  }
}
