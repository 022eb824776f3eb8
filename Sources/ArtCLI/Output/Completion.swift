import ArgumentParser
import ArtCore
import ArtStore
import SystemPackage

/// What the shell completion scripts (`art --generate-completion-script
/// bash|zsh|fish`) offer for artifact names and specs, read from the
/// repository of the folder the shell is in (or of `-C DIR`).
///
/// Completion never fails: outside a repository, or with damaged refs, it
/// offers nothing. It takes no lock and reads only the refs file.
enum Completion {
  /// `NAME`, and once a `:` is typed, `NAME:vN` and `NAME:ALIAS`.
  static let spec = CompletionKind.custom { words, _, prefix in specs(words, prefix) }

  /// Artifact names.
  static let artifact = CompletionKind.custom { words, _, prefix in
    (refs(words)?.artifacts.map(\.text) ?? []).filter { $0.hasPrefix(prefix) }
  }

  /// Candidates for the word that starts with `prefix`.
  ///
  /// bash splits `ds:v1` at the colon (it is in `COMP_WORDBREAKS`) and
  /// then never asks: there, specs complete once `:` is taken out of it.
  static func specs(_ words: [String], _ prefix: String) -> [String] {
    guard let refs = refs(words) else { return [] }
    return specs(refs, prefix)
  }

  private static func specs(_ refs: Refs, _ prefix: String) -> [String] {
    guard let colon = prefix.firstIndex(of: ":") else {
      return refs.artifacts.map(\.text).filter { $0.hasPrefix(prefix) }
    }
    guard let artifact = try? ArtifactName(String(prefix[..<colon])) else { return [] }
    let labels =
      refs.versions(of: artifact).reversed().map { "\(artifact):\($0.number)" }
      + refs.aliases(of: artifact).map { "\(artifact):\($0.alias)" }
    return labels.filter { $0.hasPrefix(prefix) }
  }

  /// The refs of the repository the command line would use.
  private static func refs(_ words: [String]) -> Refs? {
    var folder = (try? Syscalls.currentDirectory()) ?? FilePath("/")
    if let index = words.firstIndex(where: { $0 == "-C" || $0 == "--directory" }),
      index + 1 < words.count
    {
      folder = folder.pushing(FilePath(words[index + 1])).lexicallyNormalized()
    }
    guard let repository = try? Repository.discover(from: folder) else { return nil }
    return try? repository.refs.read()
  }
}
