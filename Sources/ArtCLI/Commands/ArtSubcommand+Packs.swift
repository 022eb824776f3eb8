import ArtCore

extension ArtSubcommand {
  /// Merges small packs once `pack.autoMerge` of them have piled up.
  ///
  /// Like git's auto gc (see ``Repacker/mergeSmallPacks(_:command:)``),
  /// after a commit, and after a fetch, pull or clone, which bring one pack
  /// per remote pack. Failure is reported and harmless: the command is done.
  func mergeSmallPacks(_ repository: Repository, command: String, output: Output) async {
    do {
      guard
        let report = try await Repacker.mergeSmallPacks(
          repository, command: "\(command) (merging packs)")
      else { return }
      output.note(
        "art: merged \(report.packsBefore) small packs into \(report.packsAfter) "
          + "(pack.autoMerge = \(repository.configuration.autoMergePacks) in .art/config)")
    } catch {
      output.note("art: could not merge small packs: \(error); 'art repack' does it by hand")
    }
  }
}
