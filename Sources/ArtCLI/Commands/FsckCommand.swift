import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct FsckCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "fsck",
      abstract: "Check that every ref reaches everything it needs, intact.",
      discussion: """
        Checks that every ref reaches a version record, every record its \
        manifests, every manifest its blobs and chunks. --full also reads \
        every pack and re-hashes every object and every chunked file. \
        Prints each problem with where it is; objects no ref reaches \
        (dangling, removed by gc) are counted, not errors. Exit status 0 \
        when clean, 2 when anything is missing or damaged.

        Examples:
          art fsck
          art fsck --full --json
        """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Also verify every pack and every object's bytes.")
    var full = false

    @Flag(name: .shortAndLong, help: "List dangling objects one by one.")
    var verbose = false

    @Flag(help: "Print as JSON.")
    var json = false

    struct Dangling: Encodable {
      var id: String
      var kind: String
      var pack: String
    }

    struct Summary: Encodable {
      var clean: Bool
      var errors: [String]
      /// At most 10,000; `danglingObjects` counts them all.
      var dangling: [Dangling]
      var versions: Int
      var reachableObjects: Int
      var packs: Int
      var objectsVerified: Int
      var danglingObjects: Int
      var danglingBytes: UInt64
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let full = self.full
      let report = try await withProgress(
        "fsck", unit: "packs", quiet: global.quiet, output: output
      ) { progress in
        try await ArtCore.Fsck(repository: repository, progress: progress).run(full: full)
      }
      if json {
        output.line(
          Formatting.document(
            Summary(
              clean: report.isClean, errors: report.errors,
              dangling: report.dangling.map {
                Dangling(id: $0.id.hex, kind: "\($0.kind)", pack: $0.pack)
              }, versions: report.versions,
              reachableObjects: report.reachableObjects, packs: report.packs,
              objectsVerified: report.objectsVerified, danglingObjects: report.danglingObjects,
              danglingBytes: report.danglingBytes)))
      } else {
        for error in report.errors { output.line("error: \(error)") }
        if verbose {
          for item in report.dangling {
            output.line("dangling \(item.kind) \(item.id) in \(item.pack)")
          }
        }
        var summary =
          "\(Formatting.count(report.versions, "version")), "
          + "\(Formatting.count(report.reachableObjects, "reachable object")), "
          + "\(Formatting.count(report.packs, "pack"))"
        if full { summary += ", \(report.objectsVerified) objects re-hashed" }
        if report.danglingObjects > 0 {
          summary +=
            "; \(report.danglingObjects) dangling (\(Formatting.bytes(report.danglingBytes)), "
            + "'art gc' removes them once their pack is past the grace period and repack "
            + "threshold)"
        }
        output.line(summary)
        output.line(
          report.isClean ? "clean" : "\(Formatting.count(report.errors.count, "problem")) found")
      }
      if !report.isClean { throw ExitCode(ExitStatus.corrupt.rawValue) }
    }
  }
}
