import ArgumentParser
import ArtCore
import ArtStore
import Glibc

extension ArtCommand {
  struct FinishCommand: ArtSubcommand {
    static let printsSummary = true

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

    @Argument(help: "The artifact.", completion: Completion.artifact)
    var name: String

    @Option(help: "The id the workers upserted under.")
    var distributedID: String

    @OptionGroup var recording: RecordingOptions

    @Option(help: "Merge the parts upserted to this remote and commit the version there too.")
    var remote: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Report: Encodable {
      var artifact: String
      var version: String
      var id: String
      var files: Int
      var bytes: UInt64
      var remote: String?
      var parts: Int?
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      var request = CommitRequest(artifact: try ArtifactName(name))
      try await record(recording, into: &request, repository: repository, output: output)
      if let remoteName = self.remote {
        let remote = try openRemote(remoteName, of: repository)
        let done = try await remote.finish(
          request: request, id: distributedID, refStore: refStore(repository, output: output))
        if json {
          return output.line(
            Formatting.document(
              Report(
                artifact: done.commit.version.artifact.text,
                version: "\(done.commit.version.number)", id: done.commit.version.id.hex,
                files: done.commit.snapshot.files, bytes: done.commit.snapshot.bytes,
                remote: remote.name, parts: done.parts)))
        }
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
      if json {
        return output.line(
          Formatting.document(
            Report(
              artifact: result.version.artifact.text, version: "\(result.version.number)",
              id: result.version.id.hex, files: result.snapshot.files,
              bytes: result.snapshot.bytes)))
      }
      output.line("\(result.version.label) \(result.version.id.prefix(12))")
      output.line(
        "\(Formatting.count(result.snapshot.files, "file")), "
          + "\(Formatting.bytes(result.snapshot.bytes)) from draft \(distributedID)")
    }
  }
}
