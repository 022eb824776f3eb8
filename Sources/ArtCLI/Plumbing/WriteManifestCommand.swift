import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct WriteManifestCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "write-manifest",
      abstract: "Store a folder tree and print its top manifest id.",
      discussion: """
        Stores every file under PATH (default: the current folder) as blobs \
        or chunks, and every folder as a manifest. Folders named .art are \
        never stored. Symbolic links are recorded as links and never \
        followed; empty files and folders are kept; sockets, fifos and \
        devices are skipped with a warning.

        Examples:
          art write-manifest data
          art write-manifest --compression zlib --json .
        """)

    @OptionGroup var global: GlobalOptions

    @Option(
      help: "Compression: zstd, zstd:LEVEL, lz4, zlib or none (default: the repository's).",
      transform: parseCompression)
    var compression: Compression?

    @Flag(help: "Print the id and totals as JSON.")
    var json = false

    @Flag(name: .shortAndLong, help: "Print totals on standard error.")
    var verbose = false

    @Argument(help: "The folder to store.")
    var path: String = "."

    struct Report: Encodable {
      var manifest: String
      var files: Int
      var folders: Int
      var symlinks: Int
      var bytes: UInt64
      var objectsWritten: Int
      var bytesWritten: UInt64
      var storedBytesWritten: UInt64
      var objectsDeduplicated: Int
      var bytesDeduplicated: UInt64
      var packs: [String]
      var skipped: [String]
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let folder = try global.resolve(path)
      let snapshot = try await Snapshotter(
        repository: repository, writer: repository.makeWriter(compression: compression),
        statCache: StatCache(repository: repository)
      ).writeManifest(of: folder)
      snapshot.statCache?.write(store: repository.store)
      for skipped in snapshot.skipped { output.note("art: warning: skipped \(skipped)") }
      let stats = snapshot.statistics
      if json {
        output.line(
          Formatting.document(
            Report(
              manifest: snapshot.manifestID.hex, files: snapshot.files, folders: snapshot.folders,
              symlinks: snapshot.symlinks, bytes: snapshot.bytes,
              objectsWritten: stats.objectsWritten, bytesWritten: stats.rawBytesWritten,
              storedBytesWritten: stats.storedBytesWritten,
              objectsDeduplicated: stats.objectsDeduplicated,
              bytesDeduplicated: stats.bytesDeduplicated, packs: stats.packs.map(\.hex),
              skipped: snapshot.skipped)))
        return
      }
      output.line(snapshot.manifestID.hex)
      if verbose {
        output.note(
          "\(Formatting.count(snapshot.files, "file")), "
            + "\(Formatting.count(snapshot.folders, "folder")), "
            + "\(Formatting.count(snapshot.symlinks, "symlink")), "
            + "\(Formatting.bytes(snapshot.bytes)); new: \(stats.objectsWritten) objects, "
            + "\(Formatting.bytes(stats.rawBytesWritten)) stored in "
            + "\(Formatting.bytes(stats.storedBytesWritten)); deduplicated: "
            + "\(stats.objectsDeduplicated) objects, \(Formatting.bytes(stats.bytesDeduplicated))")
      }
    }
  }
}
