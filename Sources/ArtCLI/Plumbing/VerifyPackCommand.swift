import ArgumentParser
import ArtCore
import ArtStore
import SystemPackage

extension ArtCommand {
  struct VerifyPackCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "verify-pack",
      abstract: "Check packs and their indexes byte by byte.",
      discussion: """
        Checks each index's checksum, order and fan-out, the pack's trailer \
        (and an older pack's footer) against the index, that the entries \
        hash to the pack id, and every object: record header, \
        CRC-32, decompression and SHA-256. Stops at the first damaged pack \
        and names it and the object; exit status 2.

        Examples:
          art verify-pack
          art verify-pack -v .art/objects/packs/pack-3fa9….pack
        """)

    @OptionGroup var global: GlobalOptions

    @Flag(
      name: .shortAndLong,
      help: "List every object: id, kind, raw size, stored size, codec, offset.")
    var verbose = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    @Argument(help: "Packs to check, by path or id (default: every pack).")
    var packs: [String] = []

    struct Report: Encodable {
      var pack: String
      var objects: Int
      var blobs: Int
      var chunkLists: Int
      var manifests: Int
      var versions: Int
      /// 1 when the pack has a zstd dictionary, else 0.
      var dictionaries: Int
      var rawBytes: UInt64
      var storedBytes: UInt64
      var packBytes: UInt64
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let store = repository.store
      var indexPaths: [FilePath] = []
      if packs.isEmpty {
        indexPaths = try store.indexPaths()
      } else {
        for pack in packs { indexPaths.append(try indexPath(for: pack, in: store)) }
      }
      let paths = indexPaths
      let (verbose, json) = (self.verbose, self.json)
      // Objects listed with -v as they are checked; a bar otherwise.
      let reports = try await withProgress(
        "verify-pack", unit: "packs", quiet: global.quiet || verbose, output: output
      ) { progress in
        var reports: [Report] = []
        for indexPath in paths {
          let pack = try Pack(indexPath: indexPath)
          let report = try pack.verify { entry in
            progress.add(bytes: Int(entry.storedLength))
            if verbose && !json {
              output.line(
                "\(entry.id) \(entry.kind) \(entry.rawLength) \(entry.storedLength) "
                  + "\(entry.codec) \(entry.offset)")
            }
          }
          progress.addFile()
          let kinds = report.objectsByKind
          reports.append(
            Report(
              pack: pack.path.lastComponent?.string ?? pack.path.string,
              objects: report.objects, blobs: kinds[.blob] ?? 0,
              chunkLists: kinds[.chunkList] ?? 0, manifests: kinds[.manifest] ?? 0,
              versions: kinds[.version] ?? 0, dictionaries: kinds[.dictionary] ?? 0,
              rawBytes: report.rawBytes,
              storedBytes: report.storedBytes, packBytes: report.packBytes))
        }
        return reports
      }
      if !json {
        for summary in reports {
          output.line(
            "\(summary.pack): ok, \(summary.objects) objects (\(summary.blobs) blobs, "
              + "\(summary.chunkLists) chunk lists, \(summary.manifests) manifests, "
              + "\(summary.versions) versions"
              + (summary.dictionaries > 0 ? ", \(summary.dictionaries) dictionary" : "")
              + "), \(summary.rawBytes) raw bytes, "
              + "\(summary.storedBytes) stored bytes")
        }
      }
      if json { output.line(Formatting.document("packs", reports)) }
      if !json {
        output.line(
          "\(reports.count) packs ok, \(reports.reduce(0) { $0 + $1.objects }) objects")
      }
    }

    private func indexPath(for argument: String, in store: ObjectStore) throws -> FilePath {
      var text = argument
      if let name = FilePath(argument).lastComponent?.string,
        name.hasPrefix("pack-"), name.hasSuffix(".pack") || name.hasSuffix(".idx")
      {
        text = String(name.dropFirst(5).prefix { $0 != "." })
      }
      let prefix = try ObjectIDPrefix(text)
      let matches = try store.indexPaths().filter {
        $0.lastComponent?.string.hasPrefix("pack-\(prefix.hex)") ?? false
      }
      guard matches.count == 1, let match = matches.first else {
        throw ArtError(
          matches.isEmpty ? .notFound : .ambiguous,
          matches.isEmpty ? "no pack '\(argument)'" : "pack '\(argument)' is ambiguous",
          hint: "list packs with 'ls .art/objects/packs'")
      }
      return match
    }
  }
}
