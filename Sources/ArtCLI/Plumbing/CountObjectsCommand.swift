import ArgumentParser
import ArtCore
import ArtStore
import SystemPackage

extension ArtCommand {
  struct CountObjectsCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "count-objects",
      abstract: "Count packs, objects and bytes in the repository.",
      discussion: """
        Reads only the pack indexes. Raw bytes are objects' lengths before \
        compression; stored bytes are what they take in packs. Temporary \
        files are what interrupted commands left in .art (and what running \
        ones are writing): 'art gc' removes them once older than its grace \
        period.

        Examples:
          art count-objects
          art count-objects --json
        """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the counts as JSON.")
    var json = false

    struct Report: Encodable {
      var packs: Int
      var objects: Int
      var rawBytes: UInt64
      var storedBytes: UInt64
      var packBytes: UInt64
      var damagedPacks: [String]
      var temporaryFiles: Int
      var temporaryBytes: UInt64
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let store = repository.store
      let leftovers = try Leftover.find(in: repository)
      var report = Report(
        packs: 0, objects: 0, rawBytes: 0, storedBytes: 0, packBytes: 0,
        damagedPacks: store.damagedPacks.map(\.path.string), temporaryFiles: leftovers.count,
        temporaryBytes: leftovers.reduce(0) { $0 + $1.size })
      for pack in store.allPacks {
        report.packs += 1
        report.objects += pack.index.count
        report.packBytes += pack.index.packSize
        for position in 0..<pack.index.count {
          let entry = try pack.index.entry(at: position)
          report.rawBytes += entry.rawLength
          report.storedBytes += entry.storedLength
        }
      }
      if json {
        output.line(Formatting.document(report))
      } else {
        output.line("packs: \(report.packs)")
        output.line("objects: \(report.objects)")
        output.line("raw bytes: \(report.rawBytes) (\(Formatting.bytes(report.rawBytes)))")
        output.line(
          "stored bytes: \(report.storedBytes) (\(Formatting.bytes(report.storedBytes)))")
        output.line("pack files: \(report.packBytes) (\(Formatting.bytes(report.packBytes)))")
        if report.temporaryFiles > 0 {
          output.line(
            "temporary files: \(report.temporaryFiles), \(report.temporaryBytes) bytes "
              + "(\(Formatting.bytes(report.temporaryBytes)); 'art gc' removes them once older "
              + "than its grace period)")
        }
        for damaged in report.damagedPacks { output.line("damaged: \(damaged)") }
      }
      if !report.damagedPacks.isEmpty {
        throw ArtError(
          .corruptData, "\(report.damagedPacks.count) pack(s) cannot be read",
          hint: "run 'art verify-pack' for details")
      }
    }
  }
}
