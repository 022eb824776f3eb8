import ArgumentParser
import ArtCore
import ArtStore
import SystemPackage

extension ArtCommand {
  struct StatusCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "status",
      abstract: "Show what differs in each artifact's root folder from its latest version.",
      discussion: """
        Examples:
          art status
          art status imagenet_train
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Only this artifact.")
    var name: String?

    @Flag(help: "Print as JSON.")
    var json = false

    struct Report: Encodable {
      var artifact: String
      var version: String
      var root: String
      var changes: [DiffOutput.Line]
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let reports = try await WorkingStatus.of(
        repository, artifact: name.map { try ArtifactName($0) }
      )
      .map { latest, changes in
        Report(
          artifact: latest.artifact.text, version: "\(latest.number)",
          root: latest.record.root.isEmpty ? "." : latest.record.root,
          changes: DiffOutput(changes: changes).lines)
      }
      if json { return output.line(Formatting.json(reports)) }
      if reports.isEmpty { output.line("no artifacts yet (make one with 'art commit NAME PATH')") }
      for report in reports {
        let state =
          report.changes.isEmpty ? "clean" : Formatting.count(report.changes.count, "change")
        output.line("\(report.artifact) (\(report.version), root \(report.root)): \(state)")
        for line in report.changes { output.line("  " + line.text) }
      }
    }
  }
}
