import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct RepackCommand: ArtSubcommand {
    static let printsSummary = true

    static let configuration = CommandConfiguration(
      commandName: "repack",
      abstract: "Merge packs into fewer, optionally recompressing everything.",
      discussion: """
        Copies every object into new packs, each closed once it reaches \
        --max-pack-size (default pack.maxSize), then deletes the old packs. Objects keep \
        their compression unless --compression is given (zlib archives \
        tighter; lz4 reads faster). Unreferenced objects are kept: that is \
        gc's job.

        Examples:
          art repack
          art repack --compression zlib
          art repack --max-pack-size 256MiB
        """)

    @OptionGroup var global: GlobalOptions

    @Option(
      help: """
        Recompress every object: zstd, zstd:LEVEL (1-22; zstd:19 for an archive), lz4, \
        zlib or none.
        """,
      transform: parseCompression)
    var compression: Compression?

    @Option(help: "Start a new pack at this size (bytes, or with KiB/MiB/GiB).")
    var maxPackSize: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Report: Encodable {
      var repacked: Bool
      var objects: Int
      var packsBefore: Int
      var packsAfter: Int
      var bytesBefore: UInt64
      var bytesAfter: UInt64
    }

    func execute(output: Output) async throws {
      let repository = try repository(.exclusive)
      // A pack whose index does not read is left out of every listing; a
      // repack would say there is nothing to do, or merge the others
      // around it. It stops instead, as gc does.
      if let (path, error) = repository.store.damagedPacks.first {
        throw ArtError(
          .corruptData,
          "repack will not run: pack index '\(path)' cannot be read (\(error.message))",
          hint: "run 'art fsck' to see what is damaged")
      }
      let size =
        try maxPackSize.map { try parseSize($0) } ?? repository.configuration.maximumPackSize
      let compression = self.compression
      let report = try await withProgress(
        "repack", unit: "objects", quiet: global.quiet, output: output
      ) { progress in
        var repacker = Repacker(
          repository: repository, compression: compression, maximumPackSize: size)
        repacker.progress = progress
        return try await repacker.run()
      }
      let repacked = report.repacked
      if json {
        return output.line(
          Formatting.document(
            Report(
              repacked: repacked, objects: report.objects, packsBefore: report.packsBefore,
              packsAfter: report.packsAfter, bytesBefore: report.bytesBefore,
              bytesAfter: report.bytesAfter)))
      }
      if !repacked {
        return output.line(
          "nothing to repack: \(Formatting.count(report.packsBefore, "pack")) "
            + "(give --compression to recompress)")
      }
      output.line(
        "repacked \(Formatting.count(report.objects, "object")): "
          + "\(Formatting.count(report.packsBefore, "pack")) (\(Formatting.bytes(report.bytesBefore))) → "
          + "\(Formatting.count(report.packsAfter, "pack")) (\(Formatting.bytes(report.bytesAfter)))"
      )
    }
  }
}
