import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct CatCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "cat",
      abstract: "Print a file of a version without checking it out.",
      discussion: """
        Writes the file's bytes to standard output, checking every chunk \
        against its SHA-256 before any of its bytes are written: damaged \
        data is an error (exit 2), never output. From another project or a \
        remote, only that file's objects are read (by range). A symbolic \
        link prints its target. --offset and --length print a slice, \
        reading only the chunks that hold it.

        Examples:
          art cat imagenet_train:v3:labels.csv | head
          art cat imagenet_train:labels.csv            # the latest version
          art cat model:production:weights.bin --offset 1048576 --length 4096 | xxd
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(
      help: "SPEC:PATH, e.g. ds:v3:images/a.jpg or ds:labels.csv.", completion: Completion.spec)
    var file: String

    @Option(help: "Start at this byte.")
    var offset: UInt64 = 0

    @Option(help: "Print at most this many bytes.")
    var length: UInt64?

    /// Ends a read once `--length` bytes are out.
    private struct Enough: Error {}

    func execute(output: Output) async throws {
      let repository = try repository()
      let found = try await locateFile(file, in: repository, output: output)
      let label = "\(found.located.label):\(found.path)"
      switch found.entry.kind {
      case .file, .chunked:
        break
      case .symlink:
        let target = try repository.store.read(found.entry.id, as: .blob)
        return output.write(slice(target[...]), to: .standardOutput)
      case .folder:
        throw ArtError(
          .invalidArgument, "\(label) is a folder",
          hint: "list it with 'art ls-files \(found.located.label) --path \(found.path)'")
      case .external:
        let uri = try repository.store.reference(found.entry.id).uri
        throw ArtError(
          .invalidArgument, "\(label) is a reference entry: its data is at \(uri)",
          hint: "'art checkout \(found.located.label) --path \(found.path)' fetches and checks it")
      case .bundle:
        throw ArtError(
          .invalidArgument, "\(label) is a bundle entry: it names another version",
          hint: "list that version with 'art ls-files \(found.located.label) --path \(found.path)'")
      }
      var remaining = length ?? .max
      guard remaining > 0, offset < found.entry.size else { return }
      do {
        try ContentReader.read(found.entry.id, from: repository.store, startingAt: offset) {
          piece in
          let count = Int(min(UInt64(piece.count), remaining))
          output.write(UnsafeRawBufferPointer(rebasing: piece[..<count]), to: .standardOutput)
          remaining -= UInt64(count)
          if remaining == 0 { throw Enough() }
        }
      } catch is Enough {}
    }

    /// `--offset`/`--length` of `bytes`.
    private func slice(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
      let start = bytes.startIndex + Int(min(offset, UInt64(bytes.count)))
      let end =
        length.map { start + Int(min($0, UInt64(bytes.endIndex - start))) } ?? bytes.endIndex
      return bytes[start..<end]
    }
  }
}
