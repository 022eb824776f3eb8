import ArgumentParser
import ArtCore
import ArtStore
import SystemPackage

extension ArtCommand {
  struct CheckIgnoreCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "check-ignore",
      abstract: "Say which .artignore rule leaves each path out.",
      discussion: """
        For each path that commit, status and diff would leave out below \
        the folder they read, prints the \
        file, line and pattern of the rule that decides it, then the path \
        (git check-ignore -v's format). .artignore files use gitignore \
        syntax; the ones in the folders from the repository's top down to \
        the path apply, a deeper one before a shallower one, a later line \
        before an earlier one. Without any, only .git (and .art) are left \
        out. Paths need not exist; end one in / to ask about a folder.

        Exit status: 0 when at least one path is left out, 1 when none is.

        Examples:
          art check-ignore data/tmp.swp data/__pycache__/m.pyc
          art check-ignore --non-matching data/train.csv
        """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Paths, relative to the current folder.")
    var paths: [String]

    @Flag(
      name: [.customShort("n"), .long],
      help: "Also print paths no rule leaves out (with an empty rule, as git does).")
    var nonMatching = false

    @Flag(help: "Print as JSON.")
    var json = false

    struct Line: Encodable {
      var path: String
      var ignored: Bool
      /// The `.artignore` holding the rule (relative to the repository's
      /// top), `(built-in)` for the `.git` and `.art` rules, nil when no
      /// rule matched.
      var source: String?
      var line: Int?
      var pattern: String?
    }

    struct Report: Encodable {
      var paths: [Line]
    }

    func validate() throws {
      guard !paths.isEmpty else {
        throw ValidationError("give at least one path, e.g. art check-ignore data/tmp.swp")
      }
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let top = repository.root
      let rules = try IgnoreRules(root: top, top: top)
      var lines: [Line] = []
      for text in paths {
        let absolute = try global.resolve(text)
        guard absolute.starts(with: top), absolute != top else {
          throw ArtError(
            .invalidArgument, "'\(text)' is not inside the repository's folder '\(top)'",
            hint: "give a path below the folder that holds .art")
        }
        let parts = absolute.components.dropFirst(top.components.count).map(\.string)
        // As the scanner sees it: a link to a folder is a link.
        let kind = try Syscalls.linkStatus(absolute)?.kind
        let isFolder = text.hasSuffix("/") || kind == .directory
        let match = try rules.explain(parts, root: top, isFolder: isFolder)
        lines.append(
          Line(
            path: text, ignored: match?.ignored ?? false,
            source: match.map { source($0.file, top: top) }, line: match?.rule.line,
            pattern: match?.rule.pattern))
      }
      if json {
        output.line(Formatting.document(Report(paths: lines)))
      } else {
        for line in lines where line.ignored || nonMatching {
          if let source = line.source, let number = line.line, let pattern = line.pattern {
            output.line("\(source):\(number):\(pattern)\t\(line.path)")
          } else {
            output.line("::\t\(line.path)")
          }
        }
      }
      if !lines.contains(where: \.ignored) {
        output.flush()
        throw ExitCode(1)
      }
    }

    /// `file` relative to the repository's top, or `(built-in)`.
    private func source(_ file: String?, top: FilePath) -> String {
      guard let file else { return "(built-in)" }
      let path = FilePath(file)
      guard path.starts(with: top) else { return file }
      return path.components.dropFirst(top.components.count).map(\.string).joined(separator: "/")
    }
  }
}
