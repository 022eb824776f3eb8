import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct CommitCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "commit",
      abstract: "Make the next version of an artifact from files and folders.",
      discussion: """
        Stores PATHs (default: the root folder of the artifact's latest \
        version) and records them as NAME:vN, moving the alias 'latest' to \
        it. One folder given is the version's root; several paths are \
        recorded relative to the repository's top, or to --root. If nothing \
        changed since the latest version, no version is made.

        With --from SPEC, the version is SPEC's tree plus --add paths minus \
        --remove paths; nothing else is read or hashed (paths are on disk, \
        inside SPEC's root folder).

        Examples:
          art commit imagenet_train data/imagenet --type dataset -m "first cut"
          art commit imagenet_train --from imagenet_train:v3 --add data/imagenet/new --remove data/imagenet/bad.jpg
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

    @Argument(help: "The artifact's name.")
    var name: String

    @Argument(help: "Files and folders to commit.")
    var paths: [String] = []

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

    @Option(help: "The folder paths are relative to (default: see above).")
    var root: String?

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

    @Option(
      help: ArgumentHelp(
        "A file, folder or URL kept outside the store, repeatable (see below).",
        valueName: "URI[=PATH]"))
    var reference: [String] = []

    @Flag(help: "Download http(s) references once to record their SHA-256.")
    var checksum = false

    @Flag(help: "Make a version even if nothing changed.")
    var allowEmpty = false

    @Option(help: "Make the version from this one plus --add and --remove only (a draft).")
    var from: String?

    @Option(help: "With --from: a file or folder to add or replace, repeatable.")
    var add: [String] = []

    @Option(help: "With --from: a path to drop, repeatable; it must be in the --from version.")
    var remove: [String] = []

    @Option(help: "Compression for new objects: lz4, zlib or none.", transform: parseCodec)
    var compression: Codec?

    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Report: Encodable {
      var artifact: String
      var version: String
      var id: String
      var created: Bool
      var files: Int
      var bytes: UInt64
      var bytesStored: UInt64
      var bytesDeduplicated: UInt64
      var references: UInt64
      var referenceBytes: UInt64
    }

    func validate() throws {
      if from == nil && !(add.isEmpty && remove.isEmpty) {
        throw ValidationError("--add and --remove need --from SPEC")
      }
      if from != nil && !paths.isEmpty {
        throw ValidationError("give --add/--remove with --from, not PATHs")
      }
      if from != nil && root != nil {
        throw ValidationError("--from keeps its version's root folder; leave out --root")
      }
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      var request = CommitRequest(artifact: try ArtifactName(name))
      if let from {
        request.contents = .draft(
          from: try Spec(from), adding: try add.map { try global.resolve($0) },
          removing: try remove.map { try global.resolve($0) })
      } else {
        request.contents = .folder(
          paths: try paths.map { try global.resolve($0) },
          root: try root.map { try global.resolve($0) })
      }
      request.type = type
      request.description = message
      if let metadataFile {
        let path = try global.resolve(metadataFile)
        guard let bytes = try AtomicFile.read(path) else {
          throw ArtError(.notFound, "no metadata file '\(path)'")
        }
        request.metadata = try Metadata.parse(bytes, source: "'\(path)'")
      }
      request.metadata = try Metadata.adding(metadata, to: request.metadata)
      request.aliases = try alias.map { try Alias($0) }
      request.timeToLive = try ttl.map { try DurationText.milliseconds($0) }
      request.allowEmpty = allowEmpty
      for text in input {
        let spec = try ProjectSpec(text)
        if spec.project == nil {
          request.inputs.append(spec.spec)
        } else {
          // Another project's version: its record is copied in, so the
          // lineage keeps it after that project's gc.
          let located = try await locate(text, in: repository)
          let version = try await bring(located, into: repository, full: false, output: output)
          request.inputIDs.append(version.id)
        }
      }
      request.job = job
      request.run = run
      request.codec = compression
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
      if result.created { await mergeSmallPacks(repository, output: output) }
      if json {
        output.line(
          Formatting.json(
            Report(
              artifact: result.version.artifact.text, version: "\(result.version.number)",
              id: result.version.id.hex, created: result.created, files: result.snapshot.files,
              bytes: result.snapshot.bytes, bytesStored: stats.storedBytesWritten,
              bytesDeduplicated: stats.bytesDeduplicated,
              references: result.version.record.referenceCount,
              referenceBytes: result.version.record.referenceBytes)))
        return
      }
      if !result.created {
        output.line(
          "nothing changed since \(result.version.label) \(result.version.id.prefix(12)); "
            + "no version made (use --allow-empty to force)")
        return
      }
      output.line("\(result.version.label) \(result.version.id.prefix(12))")
      output.line(
        "\(Formatting.count(result.snapshot.files, "file")), "
          + "\(Formatting.bytes(result.snapshot.bytes)); "
          + "\(Formatting.bytes(stats.storedBytesWritten)) newly stored, "
          + "\(Formatting.bytes(stats.bytesDeduplicated)) deduplicated"
          + LogCommand.referenceText(
            result.version.record.referenceCount, result.version.record.referenceBytes))
    }

    /// Merges small packs, like git's auto gc (see
    /// ``Repacker/mergeSmallPacks(_:command:)``); failure is reported and
    /// harmless: the commit is done.
    private func mergeSmallPacks(_ repository: Repository, output: Output) async {
      do {
        guard
          let report = try await Repacker.mergeSmallPacks(
            repository, command: "art commit (merging packs)")
        else { return }
        output.note(
          "art: merged \(report.packsBefore) small packs into \(report.packsAfter) "
            + "(pack.autoMerge = \(repository.configuration.autoMergePacks) in .art/config)")
      } catch {
        output.note("art: could not merge small packs: \(error); 'art repack' does it by hand")
      }
    }
  }
}
