import ArgumentParser
import ArtCore
import ArtStore

#if canImport(Glibc)
import Glibc
#endif

extension ArtCommand {
  struct Upsert: ArtSubcommand {
    static let configuration = CommandConfiguration(
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

    @Argument(help: "The artifact.")
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
      output.line(
        "added to \(artifact) draft \(id) as \(worker): \(Formatting.count(part.files, "file")), "
          + "\(Formatting.bytes(part.bytes))")
      guard let remoteName = self.remote else { return }
      let remote = try openRemote(remoteName, of: repository)
      let pushed = try await withProgress("upload", quiet: global.quiet, output: output) {
        try await remote.upsert(part, artifact: artifact, id: id, progress: $0)
      }
      // The remote holds the part now; the local copy would only wait for
      // a local finish that will not come.
      DistributedDraft.removePart(part, repository, artifact, id)
      output.line(
        "uploaded to \(remote.name): \(Formatting.count(pushed.objects, "object")) "
          + "(\(Formatting.bytes(pushed.bytes))); "
          + "\(Formatting.count(pushed.objectsPresent, "object")) already there")
    }
  }

  struct Finish: ArtSubcommand {
    static let configuration = CommandConfiguration(
      abstract: "Commit a distributed draft: every upserted part, as one version.",
      discussion: """
        Merges the parts upserted under the distributed id into the next \
        version of NAME. Two workers that added the same path with different \
        content is an error naming the path and both workers; the same \
        content is fine.

        Examples:
          art finish embeddings --distributed-id run-42 -m "all shards" --metadata shards=8
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The artifact.")
    var name: String

    @Option(help: "The id the workers upserted under.")
    var distributedID: String

    @Option(help: "The artifact's type; fixed by its first version.")
    var type: String?

    @Option(name: [.customShort("m"), .customLong("message")], help: "A description.")
    var message: String = ""

    @Option(help: "KEY=VALUE metadata, repeatable.")
    var metadata: [String] = []

    @Option(help: "An alias to point at the new version, repeatable.")
    var alias: [String] = []

    @Option(help: "Merge the parts upserted to this remote and commit the version there too.")
    var remote: String?

    func execute(output: Output) async throws {
      let repository = try repository()
      var request = CommitRequest(artifact: try ArtifactName(name))
      request.type = type
      request.description = message
      request.metadata = try Metadata.adding(metadata, to: [:])
      request.aliases = try alias.map { try Alias($0) }
      if let remoteName = self.remote {
        let remote = try openRemote(remoteName, of: repository)
        let done = try await remote.finish(
          request: request, id: distributedID, refStore: refStore(repository, output: output))
        output.line("\(done.label) \(done.commit.version.id.prefix(12)) on \(remote.name)")
        output.line(
          "\(Formatting.count(done.commit.snapshot.files, "file")), "
            + "\(Formatting.bytes(done.commit.snapshot.bytes)) from "
            + "\(Formatting.count(done.parts, "part")) of draft \(distributedID)")
        return
      }
      let result = try await DistributedDraft.finish(
        repository, refStore: refStore(repository, output: output), request: request,
        id: distributedID)
      output.line("\(result.version.label) \(result.version.id.prefix(12))")
      output.line(
        "\(Formatting.count(result.snapshot.files, "file")), "
          + "\(Formatting.bytes(result.snapshot.bytes)) from draft \(distributedID)")
    }
  }

  struct Drafts: ArtSubcommand {
    static let configuration = CommandConfiguration(
      abstract: "List distributed drafts not finished yet.",
      discussion: """
        One line per draft: artifact, distributed id, parts, files, bytes, \
        and the age of its newest part. gc keeps a draft's data until it is \
        finished or has had no new part for gc.draftExpiry (default 7d).
        """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print as JSON.")
    var json = false

    struct Line: Encodable {
      var artifact: String
      var distributedID: String
      var parts: Int
      var workers: [String]
      var files: Int
      var bytes: UInt64
      var newestPart: String
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let drafts = try DistributedDraft.pending(repository, repository.refs.read())
      let lines = drafts.map { draft in
        Line(
          artifact: draft.artifact.text, distributedID: draft.id, parts: draft.parts.count,
          workers: draft.parts.map(\.worker), files: draft.parts.reduce(0) { $0 &+ $1.files },
          bytes: draft.parts.reduce(0) { $0 &+ $1.bytes },
          newestPart: Formatting.time(draft.parts.map(\.created).max() ?? 0))
      }
      if json { return output.line(Formatting.json(lines)) }
      if lines.isEmpty { return output.line("no pending drafts") }
      for line in lines {
        output.line(
          "\(line.artifact) \(line.distributedID): \(Formatting.count(line.parts, "part")), "
            + "\(Formatting.count(line.files, "file")), \(Formatting.bytes(line.bytes)), "
            + "newest part \(line.newestPart)")
      }
    }
  }
}

/// This machine's host name, for worker names.
func hostName() -> String {
  var buffer = [CChar](repeating: 0, count: 256)
  guard gethostname(&buffer, buffer.count) == 0 else { return "host" }
  return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
