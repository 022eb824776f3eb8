import ArtStore
import Foundation
public import SystemPackage

/// Rewrites every pack in `packs` (a folder of `pack-<id>.pack` and `.idx`
/// files of format 2, index format 4) byte for byte as the build before
/// format 2 wrote it: header version 1, the footer put back before the
/// trailer, index format 1, 2 or 3 by what the pack holds, and the id the
/// SHA-256 of the footer (both files renamed to it).
///
/// Works on bytes alone, from the layouts in `Docs/FORMAT.md`, so it checks
/// the reader against the documented format rather than against itself.
/// - Returns: the new pack ids.
@discardableResult
public func rewritePacksAsFormatOne(in packs: FilePath) throws -> [ObjectID] {
  var ids: [ObjectID] = []
  let names = try FileManager.default.contentsOfDirectory(atPath: packs.string)
  for name in names where name.hasPrefix("pack-") && name.hasSuffix(".idx") {
    let indexPath = packs.appending(name)
    let packPath = packs.appending(String(name.dropLast(4)) + ".pack")
    var index = try readFile(indexPath)
    var pack = try readFile(packPath)
    func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
      (0..<4).reduce(0) { $0 | UInt32(b[at + $1]) << (8 * $1) }
    }
    func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
      (0..<8).reduce(0) { $0 | UInt64(b[at + $1]) << (8 * $1) }
    }
    func put(_ value: UInt64, _ count: Int, into b: inout [UInt8], at: Int) {
      for i in 0..<count { b[at + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }
    precondition(u32(index, 8) == 4 && u32(pack, 8) == 2, "\(name) is not of format 2")
    let count = Int(u64(index, 16))
    let ids0 = 1088
    let fields = ids0 + 32 * count
    var footer: [UInt8] = []
    var kinds: Set<UInt8> = []
    var codecs: Set<UInt8> = []
    for i in 0..<count {
      footer += index[(ids0 + 32 * i)..<(ids0 + 32 * i + 32)]
      footer += index[(fields + 32 * i)..<(fields + 32 * i + 32)]
      kinds.insert(index[fields + 32 * i + 28])
      codecs.insert(index[fields + 32 * i + 29])
    }
    let id = ObjectHasher.id(of: footer)
    pack[8] = 1
    pack.insert(contentsOf: footer, at: pack.count - 64)
    // The trailer: N, footer offset (where the records end: unchanged), id.
    pack.replaceSubrange((pack.count - 48)..<(pack.count - 16), with: id.bytes)
    put(kinds.contains(6) ? 3 : codecs.contains(3) ? 2 : 1, 4, into: &index, at: 8)
    put(UInt64(pack.count), 8, into: &index, at: 24)
    index.replaceSubrange(32..<64, with: id.bytes)
    index.replaceSubrange(
      (index.count - 32)..., with: ObjectHasher.id(of: Array(index.dropLast(32))).bytes)
    for path in [indexPath, packPath] { try FileManager.default.removeItem(atPath: path.string) }
    try writeFile(pack, to: packs.appending("pack-\(id.hex).pack"))
    try writeFile(index, to: packs.appending("pack-\(id.hex).idx"))
    ids.append(id)
  }
  return ids
}
