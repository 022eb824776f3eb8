import ArgumentParser
import ArtCore
import ArtStore
import Glibc

extension ArtCommand {
  struct DraftsCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "drafts",
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
          newestPart: Formatting.timestamp(draft.parts.map(\.created).max() ?? 0))
      }
      if json { return output.line(Formatting.document("drafts", lines)) }
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
