import ArgumentParser
import ArtCore
import ArtRemote
import ArtStore
import Foundation
import SystemPackage

extension ArtCommand {
  struct CloneCommand: ArtSubcommand {
    static let printsSummary = true

    static let configuration = CommandConfiguration(
      commandName: "clone",
      abstract: "Make a new repository from a remote.",
      discussion: """
        Downloads every pack and takes the remote's refs; the remote is \
        added as 'origin'. Then check versions out with 'art checkout'.

        Examples:
          art clone s3://ml-data/vision vision --endpoint http://127.0.0.1:8333
          cd vision && art checkout imagenet:production
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "s3://BUCKET/PREFIX, or a folder.")
    var url: String

    @Argument(help: "The new repository's folder (default: the URL's last part).")
    var directory: String?

    @Option(help: "The S3 endpoint (default: AWS_ENDPOINT_URL or AWS).")
    var endpoint: String?

    @Option(help: "The S3 region (default: AWS_REGION, else us-east-1).")
    var region: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func execute(output: Output) async throws {
      let spec = try remoteSpec(url, endpoint: endpoint, region: region)
      let name = directory ?? String(spec.url.split(separator: "/").last ?? "repository")
      let start = ContinuousClock.now
      let cloned = try await withProgress(
        "clone", unit: "packs", quiet: global.quiet, output: output
      ) {
        progress in
        try await Remote.clone(
          spec, into: try global.resolve(name), environment: ProcessInfo.processInfo.environment,
          lock: lockRequest(.shared), refs: { refStore($0, output: output) }, progress: progress)
      }
      await mergeSmallPacks(cloned.remote.repository, command: "art clone", output: output)
      if let problem = cloned.chunkingProblem { output.note("warning: \(problem)") }
      if json {
        var report = TransferReport(remote: cloned.remote.name, cloned.result)
        report.folder = cloned.remote.repository.root.string
        report.added = cloned.changes.added
        report.aliases = cloned.changes.aliases
        report.journal = cloned.changes.journal
        let chunking = cloned.remote.repository.configuration.chunking
        report.chunkSizes = TransferReport.ChunkSizes(
          min: chunking.minimum, avg: chunking.average, max: chunking.maximum)
        report.chunkingWarning = cloned.chunkingProblem
        return output.line(Formatting.document(report))
      }
      output.line("cloned \(cloned.remote.storage.location) into \(cloned.remote.repository.root)")
      reportPull(
        cloned.remote, cloned.result, cloned.changes, seconds: secondsSince(start), output: output)
    }
  }
}
