import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct UseCommand: ArtSubcommand {
    static let printsSummary = true
    static let configuration = CommandConfiguration(
      commandName: "use",
      abstract: "Record that a run used a version (W&B's use_artifact).",
      discussion: """
        Lineage from the run's side: the run consumed the version without \
        making one. 'art show' lists the runs that used a version, 'art \
        runs' what each run used, and a later 'art commit … --run ID' \
        records everything run ID used among the new version's inputs (so \
        'art lineage' draws the edge). Recording the same use twice \
        changes nothing.

        Examples:
          art use imagenet:production --run 3f9a2c --job train
          art commit model out/model --run 3f9a2c   # inputs: imagenet:v3
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(
      help: "The version: NAME, NAME:vN, NAME:ALIAS or an id prefix.", completion: Completion.spec)
    var spec: String

    @Option(help: "The run that used it (e.g. an experiment tracker's run id).")
    var run: String

    @Option(help: "The run's job type (train, eval, …).")
    var job: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Report: Encodable {
      var artifact: String
      var version: String
      var id: String
      var run: String
      var job: String?
      /// False when this use was recorded already.
      var recorded: Bool
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let editor = JournalEditor(
        repository: repository, refStore: refStore(repository, output: output))
      let (version, new) = try editor.use(try Spec(spec), run: run, job: job)
      if json {
        return output.line(
          Formatting.document(
            Report(
              artifact: version.artifact.text, version: "\(version.number)", id: version.id.hex,
              run: run, job: job, recorded: new)))
      }
      output.line(
        "run \(run) used \(version.label) \(version.id.prefix(12))"
          + (new ? "" : " (already recorded)"))
    }
  }

  struct RunsCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "runs",
      abstract: "List runs and the versions each used and made.",
      discussion: """
        Uses come from 'art use'; what a run made, from 'art commit --run'.

        Examples:
          art runs
          art runs 3f9a2c --json
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Only this run.")
    var id: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Use: Encodable {
      /// `name:vN`, or nil when the version was removed.
      var version: String?
      var id: String
      var job: String?
      var time: String
      var user: String
    }

    struct Run: Encodable {
      var run: String
      var used: [Use]
      /// `name:vN` of the versions committed with `--run` this run.
      var made: [String]
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let refs = try repository.refs.read()
      let labels = try versionLabels(repository)
      let runs = try repository.journal().runs(id, making: refs, in: repository.store).map { run in
        Run(
          run: run.id,
          used: run.uses.map {
            Use(
              version: $0.versionID.flatMap { labels[$0] }, id: $0.version ?? "", job: $0.job,
              time: Formatting.timestamp($0.time), user: $0.user)
          }, made: run.made)
      }
      if let id, runs.isEmpty {
        throw ArtError(
          .notFound, "no run '\(id)' used or made a version here",
          hint: "record a use with 'art use SPEC --run \(id)'")
      }
      if json { return output.line(Formatting.document("runs", runs)) }
      for run in runs {
        output.line("run \(run.run)")
        for use in run.used {
          output.line(
            "  used  \(use.version ?? "(removed)") \(use.id.prefix(12))"
              + (use.job.map { "  job \($0)" } ?? "") + "  \(use.time) \(use.user)")
        }
        for version in run.made { output.line("  made  \(version)") }
      }
    }
  }
}
