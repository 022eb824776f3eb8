import ArgumentParser
import ArtCore
import ArtStore
import SystemPackage

extension ArtCommand {
  struct StatusCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "status",
      abstract: "Show what differs in each artifact's root folder from the version it holds.",
      discussion: """
        Each root folder is compared with its base: the version last \
        checked out there or committed from it (the latest version when \
        none is recorded, or when the base was removed).

        Examples:
          art status
          art status imagenet_train --exit-code
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Only this artifact.", completion: Completion.artifact)
    var name: String?

    @Flag(help: "Print as JSON.")
    var json = false

    @Flag(help: "Exit with status 1 when a folder has changes (0 when every one is clean).")
    var exitCode = false

    struct Report: Encodable {
      var artifact: String
      /// The version the folder holds and is compared with.
      var version: String
      var latest: String
      /// The id of a recorded base that no longer exists.
      var missingBase: String?
      var root: String
      var changes: [DiffOutput.Line]
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let reports = try await WorkingStatus.of(
        repository, artifact: name.map { try ArtifactName($0) }
      )
      .map { status in
        Report(
          artifact: status.base.artifact.text, version: "\(status.base.number)",
          latest: "\(status.latest.number)", missingBase: status.missingBase?.hex,
          root: status.base.record.root.isEmpty ? "." : status.base.record.root,
          changes: DiffOutput(changes: status.changes).lines)
      }
      if json {
        output.line(Formatting.document("artifacts", reports))
      } else {
        if reports.isEmpty {
          output.line("no artifacts yet (make one with 'art commit NAME PATH')")
        }
        for report in reports {
          let state =
            report.changes.isEmpty ? "clean" : Formatting.count(report.changes.count, "change")
          let at =
            report.version == report.latest
            ? "at \(report.version) (latest)" : "at \(report.version), latest is \(report.latest)"
          if let missing = report.missingBase {
            output.line(
              "\(report.artifact): the version checked out here (\(missing.prefix(12))) was "
                + "removed; compared with the latest")
          }
          output.line("\(report.artifact): \(at), root \(report.root): \(state)")
          for line in report.changes { output.line("  " + line.text) }
        }
      }
      if exitCode, reports.contains(where: { !$0.changes.isEmpty }) {
        output.flush()
        throw ExitCode(1)
      }
    }
  }
}
