import ArgumentParser
import ArtCore
import ArtStore
import Foundation

extension ArtCommand {
  struct CommitCommand: ArtSubcommand {
    static let printsSummary = true

    static let configuration = CommandConfiguration(
      commandName: "commit",
      abstract: "Make the next version of an artifact from files and folders.",
      discussion: """
        Stores PATHs (default: the artifact's root folder) and records them \
        as NAME:vN, moving the alias 'latest' to it. One folder given is the \
        version's root; several paths are recorded relative to the \
        repository's top, or to --root. The version is made after the one \
        the root folder holds (its base: the version last checked out there \
        or committed from it), and if the folder still matches its base or \
        the latest version, no version is made.

        With --add or --remove, the version is a draft: the latest version's \
        tree (or --from SPEC's, or an empty one for a first version or with \
        --fresh) plus \
        --add paths minus --remove paths; nothing else is read or hashed. \
        Paths are relative to the version's root folder (a path on disk \
        inside it works too); --add SRC=DEST puts a file or folder from \
        anywhere at DEST, and a folder merges into one already there.

        Examples:
          art commit imagenet_train data/imagenet --type dataset -m "first cut"
          art commit imagenet_train --from imagenet_train:v3 --add data/imagenet/new --remove bad.jpg
          art commit imagenet_train --add /tmp/notes.txt=docs/notes.txt
          art commit imagenet_train --metadata rows=1281167 --alias production
          art commit bundle model.pt config.yaml --root . --ttl 30d
          art commit imagenet_raw --reference /mnt/share/imagenet=raw --reference https://example.com/labels.csv

        --reference art:SPEC[=PATH] makes a bundle: the entry points at \
        that version (by id, never by alias) and checks out as a folder \
        holding it (default PATH: its artifact's name); it is an input too.

        --reference URI[=PATH] records a file kept outside the store: \
        file:///abs/path or a path (a folder gives one reference per file \
        below it; SHA-256 and size recorded), or an http(s) URL (size plus \
        ETag or Last-Modified; --checksum also downloads it once for its \
        SHA-256). PATH (default: the last name of the URI) is where it goes \
        in the version. With references and no PATHs, they are added to \
        the latest version's tree and nothing else is read. A commit from \
        the folder carries the latest version's references forward without \
        reading their paths.
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The artifact's name.", completion: Completion.artifact)
    var name: String

    @Argument(help: "Files and folders to commit.")
    var paths: [String] = []

    @OptionGroup var recording: RecordingOptions

    @Option(help: "The folder paths are relative to (default: see above).")
    var root: String?

    @Option(
      help: ArgumentHelp(
        "A file, folder or URL kept outside the store, repeatable (see below).",
        valueName: "URI[=PATH]"))
    var reference: [String] = []

    @Flag(help: "Download http(s) references once to record their SHA-256.")
    var checksum = false

    @Flag(help: "Make a version even if nothing changed.")
    var allowEmpty = false

    @Flag(
      help:
        "Do not carry external references and bundle entries forward: the version holds exactly the folder."
    )
    var noCarry = false

    @Option(help: "Make the version from this one plus --add and --remove only (a draft).")
    var from: String?

    @Flag(
      help:
        "Make a draft from an empty tree: the version holds only --add and --reference entries.")
    var fresh = false

    @Option(
      help: ArgumentHelp(
        "A file or folder to add, repeatable; =DEST places it at DEST (=. at the top); folders merge.",
        valueName: "SRC[=DEST]"))
    var add: [String] = []

    @Option(
      help: ArgumentHelp(
        "A JSON array of {\"source\": SRC, \"path\": DEST} additions, as --add SRC=DEST without splitting at '='.",
        valueName: "FILE"))
    var adds: String?

    @Option(help: "A path of the version to drop, repeatable (relative to its root folder).")
    var remove: [String] = []

    @Option(
      help: "Compression for new objects: zstd, zstd:LEVEL (1-22), lz4, zlib or none.",
      transform: parseCompression)
    var compression: Compression?

    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Report: Encodable {
      var artifact: String
      var version: String
      var id: String
      var created: Bool
      /// The version it was made from (or, unmade, matches) when that is
      /// not the latest: a checked-out old version or --from's.
      var base: String?
      var files: Int
      var bytes: UInt64
      var bytesStored: UInt64
      var bytesDeduplicated: UInt64
      var references: UInt64
      var referenceBytes: UInt64
      /// Paths left out (sockets, FIFOs, devices), with why.
      var skipped: [String]
      /// With nothing changed, `--alias`es moved to that version.
      var aliasesMoved: [String]
    }

    /// Whether the version is a draft rather than a snapshot of the folder.
    private var drafting: Bool {
      from != nil || fresh || adds != nil || !(add.isEmpty && remove.isEmpty)
    }

    /// One addition of an `--adds` file.
    private struct Addition: Decodable {
      var source: String
      var path: String?
    }

    /// The additions of `--add` and `--adds`, in that order.
    private func additions() throws -> [DraftAddition] {
      var result = try add.map { try DraftAddition.parse($0, resolve: global.resolve) }
      guard let adds else { return result }
      let file = try global.resolve(adds)
      guard let bytes = try AtomicFile.read(file) else {
        throw ArtError(.notFound, "no file '\(file)' for --adds")
      }
      do {
        for item in try JSONDecoder().decode([Addition].self, from: Data(bytes)) {
          result.append(
            DraftAddition(source: try global.resolve(item.source), destination: item.path))
        }
      } catch let error as DecodingError {
        throw ArtError(
          .invalidArgument, "'\(file)' is not a JSON array of {\"source\", \"path\"} objects",
          hint: "write it as [{\"source\": \"/data/a.csv\", \"path\": \"tables/a.csv\"}]",
          underlying: error)
      }
      return result
    }

    func validate() throws {
      if noCarry && drafting {
        throw ValidationError("--no-carry is for a snapshot of a folder, not a draft")
      }
      if fresh && from != nil {
        throw ValidationError("--fresh starts from an empty tree, --from from a version: give one")
      }
      if drafting && !paths.isEmpty {
        throw ValidationError(
          "give PATHs (a snapshot of the folder) or --add/--remove (a draft), not both")
      }
      if from != nil && root != nil {
        throw ValidationError("--from keeps its version's root folder; leave out --root")
      }
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      var request = CommitRequest(artifact: try ArtifactName(name))
      request.startsEmpty = fresh
      if drafting {
        request.contents = .draft(
          from: try from.map { try Spec($0) }, root: try root.map { try global.resolve($0) },
          adding: try additions(),
          removing: try remove.map { DraftPath($0, onDisk: try global.resolve($0)) })
      } else {
        request.contents = .folder(
          paths: try paths.map { try global.resolve($0) },
          root: try root.map { try global.resolve($0) })
      }
      try await record(recording, into: &request, repository: repository, output: output)
      request.allowEmpty = allowEmpty
      request.carriesReferences = !noCarry
      request.compression = compression
      let workingDirectory = try global.workingDirectory()
      for text in reference {
        guard let (specText, pathText) = BundleEntryRequest.parse(text) else {
          request.references.append(
            try ReferenceRequest(parsing: text, workingDirectory: workingDirectory))
          continue
        }
        let located = try await locate(specText, in: repository)
        let version = try await bring(located, into: repository, full: true, output: output)
        request.bundleEntries.append(
          BundleEntryRequest(
            path: try ReferenceRequest.components(pathText ?? version.artifact.text, of: text),
            id: version.id, size: version.record.size))
      }
      request.checksum = checksum
      let refs = refStore(repository, output: output)
      let finalRequest = request
      let result = try await withProgress("commit", quiet: global.quiet, output: output) {
        progress in
        try await Committer(repository: repository, refStore: refs, progress: progress)
          .commit(finalRequest)
      }
      let stats = result.snapshot.statistics
      for skipped in result.snapshot.skipped { output.note("art: warning: skipped \(skipped)") }
      // A snapshot of another folder than the latest version's (a subfolder,
      // one file) is a whole new tree: easy to make by mistake.
      if result.created, !drafting, let latest = result.latest,
        latest.record.root != result.version.record.root
      {
        let root = { (text: String) in text.isEmpty ? "." : text }
        output.note(
          "art: warning: \(result.version.label) holds only what is in "
            + "'\(root(result.version.record.root))', not the '\(root(latest.record.root))' of "
            + "\(latest.label); to change some files of \(latest.label), commit its folder or use "
            + "--add/--remove")
      }
      if !result.created {
        let unrecorded = [
          ("-m", !recording.message.isEmpty), ("--metadata", !recording.metadata.isEmpty),
          ("--metadata-file", recording.metadataFile != nil), ("--ttl", recording.ttl != nil),
          ("--input", !recording.input.isEmpty), ("--job", !recording.job.isEmpty),
          ("--run", !recording.run.isEmpty),
        ].filter(\.1).map(\.0)
        if !unrecorded.isEmpty {
          output.note(
            "art: warning: \(unrecorded.joined(separator: ", ")) not recorded: nothing changed, "
              + "so no version was made; use 'art annotate \(result.version.label)' to describe "
              + "it, or --allow-empty to make a new version")
        }
      }
      if result.created {
        await mergeSmallPacks(repository, command: "art commit", output: output)
      }
      if json {
        output.line(
          Formatting.document(
            Report(
              artifact: result.version.artifact.text, version: "\(result.version.number)",
              id: result.version.id.hex, created: result.created,
              base: result.isBasedOnOlder ? result.base.map { "\($0.number)" } : nil,
              files: result.snapshot.files,
              bytes: result.snapshot.bytes, bytesStored: stats.storedBytesWritten,
              bytesDeduplicated: stats.bytesDeduplicated,
              references: result.version.record.referenceCount,
              referenceBytes: result.version.record.referenceBytes,
              skipped: result.snapshot.skipped,
              aliasesMoved: result.aliasesMoved.map(\.text))))
        return
      }
      if !result.created {
        let latest = result.latest.map { " (latest is \($0.number))" } ?? ""
        output.line(
          "nothing changed since \(result.version.label) \(result.version.id.prefix(12))"
            + (result.version.id == result.latest?.id ? "" : latest)
            + "; no version made (use --allow-empty to make one anyway)")
        for alias in result.aliasesMoved {
          output.line("\(result.version.artifact):\(alias.text) -> \(result.version.number)")
        }
        return
      }
      var based = ""
      if result.isBasedOnOlder, let base = result.base, let latest = result.latest {
        based = " (based on \(base.label); latest was \(latest.number))"
      }
      output.line("\(result.version.label) \(result.version.id.prefix(12))" + based)
      output.line(
        "\(Formatting.count(result.snapshot.files, "file")), "
          + "\(Formatting.bytes(result.snapshot.bytes)); "
          + "\(Formatting.bytes(stats.storedBytesWritten)) newly stored, "
          + "\(Formatting.bytes(stats.bytesDeduplicated)) deduplicated"
          + LogCommand.referenceText(
            result.version.record.referenceCount, result.version.record.referenceBytes))
    }
  }
}

/// What commit and finish record about a version besides its files: type,
/// description, metadata, aliases, TTL and lineage.
struct RecordingOptions: ParsableArguments {
  @Option(help: "The artifact's type (dataset, model, …); fixed by its first version.")
  var type: String?

  @Option(name: [.customShort("m"), .customLong("message")], help: "A description.")
  var message: String = ""

  @Option(
    help: ArgumentHelp(
      "Metadata, repeatable; numbers and booleans keep their type.", valueName: "KEY=VALUE"))
  var metadata: [String] = []

  @Option(help: "A JSON object file of metadata (merged under --metadata).")
  var metadataFile: String?

  @Option(help: "An alias to point at the new version, repeatable.")
  var alias: [String] = []

  @Option(help: "Time to live: the version may be dropped by gc after 30d, 12h, 1y, …")
  var ttl: String?

  @Option(
    help:
      "A version this one was made from (lineage), repeatable: NAME:vN, NAME:ALIAS, PROJECT/NAME:ALIAS, …"
  )
  var input: [String] = []

  @Option(help: "The kind of job that made this version (preprocess, train, …).")
  var job: String = ""

  @Option(help: "The run that made this version (e.g. an experiment tracker's run id).")
  var run: String = ""
}

extension ArtSubcommand {
  /// Sets what `options` record on `request`; another project's inputs
  /// are copied in, so the lineage keeps them after that project's gc.
  func record(
    _ options: RecordingOptions, into request: inout CommitRequest, repository: Repository,
    output: Output
  ) async throws {
    request.type = options.type
    request.description = options.message
    if let file = options.metadataFile {
      request.metadata = try metadataObject(file)
    }
    request.metadata = try Metadata.adding(options.metadata, to: request.metadata)
    request.aliases = try options.alias.map { try Alias($0) }
    request.timeToLive = try options.ttl.map { try DurationText.milliseconds($0) }
    for text in options.input {
      let spec = try ProjectSpec(text)
      if spec.project == nil {
        request.inputs.append(spec.spec)
      } else {
        let located = try await locate(text, in: repository)
        let version = try await bring(located, into: repository, full: false, output: output)
        request.inputIDs.append(version.id)
      }
    }
    request.job = options.job
    request.run = options.run
  }

  /// The JSON object in metadata file `file` (`--metadata-file`).
  func metadataObject(_ file: String) throws -> [String: JSONValue] {
    let path = try global.resolve(file)
    guard let bytes = try AtomicFile.read(path) else {
      throw ArtError(
        .notFound, "no metadata file '\(path)'", hint: "check the --metadata-file path")
    }
    return try Metadata.parse(bytes, source: "'\(path)'")
  }
}
