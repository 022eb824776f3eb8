import ArgumentParser
import ArtCore
import ArtStore
import SystemPackage

extension ArtCommand {
  struct HashObjectCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "hash-object",
      abstract: "Print the object id of files; with -w, store them.",
      discussion: """
        The id is the SHA-256 of the content, the same as sha256sum prints. \
        With -w, files up to the maximum chunk size are stored as one blob \
        and larger ones as content-defined chunks plus a chunk list; either \
        way the printed id names the stored content.

        Examples:
          art hash-object data/train.csv
          art hash-object -w --compression zlib model.bin
          cat part-*.bin | art hash-object -w --stdin
        """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customShort("w"), help: "Store the content in the repository.")
    var write = false

    @Flag(help: "Read the content from standard input (its id is printed first).")
    var stdin = false

    @Option(
      help: """
        Compression for stored objects: zstd, zstd:LEVEL, lz4, zlib or none \
        (default: the repository's).
        """,
      transform: parseCompression)
    var compression: Compression?

    @Argument(help: "Files to hash.")
    var files: [String] = []

    @Flag(help: "Print the ids as JSON.")
    var json = false

    func validate() throws {
      if files.isEmpty && !stdin {
        throw ValidationError("give at least one FILE, or --stdin")
      }
      if compression != nil && !write {
        throw ValidationError("--compression only applies with -w")
      }
    }

    func execute(output: Output) async throws {
      let paths = try files.map { try global.resolve($0) }
      for path in paths {
        if let status = try Syscalls.linkStatus(path), status.kind != .regular {
          throw ArtError(
            .invalidArgument, "'\(path)' is not a regular file",
            hint: status.kind == .directory ? "use 'art write-manifest' for folders" : nil)
        }
      }
      if !write {
        var ids: [ObjectID] = []
        if stdin {
          var source = FileSource.standardInput
          ids.append(try ContentStorer.hash(&source).0)
        }
        for path in paths {
          let fd = try openForReading(path)
          defer { try? fd.close() }
          var source = FileSource(descriptor: fd, name: path.string)
          ids.append(try ContentStorer.hash(&source).0)
        }
        return print(ids, to: output)
      }
      let repository = try repository()
      let writer = repository.makeWriter(compression: compression)
      do {
        let storer = ContentStorer(writer: writer, chunker: repository.chunker)
        var ids: [ObjectID] = []
        if stdin {
          var source = FileSource.standardInput
          ids.append(try await storer.store(&source).id)
        }
        for path in paths {
          let fd = try openForReading(path)
          defer { try? fd.close() }
          var source = FileSource(descriptor: fd, name: path.string)
          ids.append(try await storer.store(&source).id)
        }
        _ = try writer.finish()
        print(ids, to: output)
      } catch {
        writer.abandon()
        throw error
      }
    }

    /// The ids, one a line (standard input's first), or as JSON.
    private func print(_ ids: [ObjectID], to output: Output) {
      guard json else { return ids.forEach { output.line($0.hex) } }
      struct Report: Encodable {
        var ids: [String]
      }
      output.line(Formatting.document(Report(ids: ids.map(\.hex))))
    }
  }
}
