import ArgumentParser
import ArtCore
import ArtStore
import Glibc

#if canImport(Glibc)
import Glibc
#endif

extension ArtCommand {
  struct UpsertCommand: ArtSubcommand {
    static let printsSummary = true

    static let configuration = CommandConfiguration(
      commandName: "upsert",
      abstract: "Add this worker's part to a version many workers build together.",
      discussion: """
        Stores PATHs (relative to --root, default the repository's top) as one \
        part of the pending version with this distributed id. Any number of \
        processes, on this machine, may upsert at once; 'art finish' then \
        merges every part into one version. Upserting to a finished id is an \
        error.

        Examples:
          art upsert embeddings --distributed-id run-42 data/shard-3
          art finish embeddings --distributed-id run-42 --alias latest-run
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The artifact.", completion: Completion.artifact)
    var name: String

    @Argument(help: "Files and folders this worker adds.")
    var paths: [String] = []

    @Option(help: "The id all workers of this version share.")
    var distributedID: String

    @Option(help: "The folder paths are relative to (default: the repository's top).")
    var root: String?

    @Option(help: "This worker's name in conflict messages (default: host:pid).")
    var worker: String?

    @Option(help: "Upload the part to this remote, for workers on other machines.")
    var remote: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Report: Encodable {
      var artifact: String
      var distributedID: String
      var worker: String
      var files: Int
      var bytes: UInt64
      var remote: String?
      var objectsUploaded: Int?
      var bytesUploaded: UInt64?
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let artifact = try ArtifactName(name)
      let paths = try self.paths.map { try global.resolve($0) }
      let root = try self.root.map { try global.resolve($0) }
      let worker = self.worker ?? "\(hostName()):\(getpid())"
      let store = refStore(repository, output: output)
      let id = distributedID
      let part = try await withProgress("upsert", quiet: global.quiet, output: output) { progress in
        try await DistributedDraft.upsert(
          repository, refStore: store, artifact: artifact, id: id, paths: paths, root: root,
          worker: worker, progress: progress)
      }
      var report = Report(
        artifact: artifact.text, distributedID: id, worker: worker, files: part.files,
        bytes: part.bytes)
      if !json {
        output.line(
          "added to \(artifact) draft \(id) as \(worker): \(Formatting.count(part.files, "file")), "
            + "\(Formatting.bytes(part.bytes))")
      }
      guard let remoteName = self.remote else {
        if json { output.line(Formatting.document(report)) }
        return
      }
      let remote = try openRemote(remoteName, of: repository)
      let pushed = try await withProgress("upload", quiet: global.quiet, output: output) {
        try await remote.upsert(part, artifact: artifact, id: id, progress: $0)
      }
      // The remote holds the part now; the local copy would only wait for
      // a local finish that will not come.
      DistributedDraft.removePart(part, repository, artifact, id)
      if json {
        report.remote = remote.name
        report.objectsUploaded = pushed.objects
        report.bytesUploaded = pushed.bytes
        return output.line(Formatting.document(report))
      }
      output.line(
        "uploaded to \(remote.name): \(Formatting.count(pushed.objects, "object")) "
          + "(\(Formatting.bytes(pushed.bytes))); "
          + "\(Formatting.count(pushed.objectsPresent, "object")) already there")
    }
  }
}

/// This machine's host name, for worker names.
func hostName() -> String {
  var buffer = [CChar](repeating: 0, count: 256)
  guard gethostname(&buffer, buffer.count) == 0 else { return "host" }
  return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
