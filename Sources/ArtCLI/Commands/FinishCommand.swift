import ArgumentParser
import ArtCore
import ArtStore
import Glibc

extension ArtCommand {
  struct FinishCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "finish",
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
}
