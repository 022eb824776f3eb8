import ArgumentParser
import ArtCore
import ArtStore

extension ArtCommand {
  struct LineageCommand: ArtSubcommand {
    static let configuration = CommandConfiguration(
      commandName: "lineage",
      abstract: "Show what a version was made from, and what was made from it.",
      discussion: """
        Versions are nodes; an edge goes from an input (commit --input) to \
        the version made from it, labelled with that version's --job. \
        Runs that used a version without making one (art use) are shown \
        beside it. Without --upstream or --downstream, both. Inputs removed since are \
        shown by id. --format dot renders with Graphviz: \
        art lineage model --format dot | dot -Tpng > lineage.png

        Examples:
          art lineage model:production
          art lineage raw:v0 --downstream --depth 2
          art lineage model --format json
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
      case text, json, dot
    }

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The version.", completion: Completion.spec)
    var spec: String

    @Flag(help: "Only what it was made from.")
    var upstream = false

    @Flag(help: "Only what was made from it.")
    var downstream = false

    @Option(help: "Follow at most N steps each way (default: all).")
    var depth: Int?

    @Option(help: "text, json or dot.")
    var format: Format = .text

    @Flag(name: .customLong("json"), help: "Print as JSON (the same as --format json).")
    var jsonFlag = false

    var json: Bool { jsonFlag || format == .json }

    struct Node: Encodable {
      var version: String
      var id: String
      var type: String?
      var job: String?
      var run: String?
      /// Runs that used this version (`art use`), oldest first.
      var usedBy: [Use]?
    }

    struct Use: Encodable {
      var run: String
      var job: String?
    }

    struct EdgeLine: Encodable {
      var from: String
      var to: String
      var job: String
    }

    struct Graph: Encodable {
      var version: String
      var nodes: [Node]
      var edges: [EdgeLine]
    }

    func validate() throws {
      if upstream && downstream {
        throw ValidationError("give --upstream or --downstream, not both (neither shows both)")
      }
      if let depth, depth < 1 { throw ValidationError("--depth must be at least 1") }
    }

    func execute(output: Output) async throws {
      let repository = try repository()
      let refs = try repository.refs.read()
      let version = try repository.resolve(Spec(spec), in: refs)
      let lineage = try Lineage(repository: repository, refs: refs)
      let up =
        downstream ? [] : lineage.edges(from: version.id, upstream: true, depth: depth ?? Int.max)
      let down =
        upstream ? [] : lineage.edges(from: version.id, upstream: false, depth: depth ?? Int.max)
      let edges = up + down
      let journal = try repository.journal()
      // `run r1 (train)` for each use of a version, oldest first.
      func uses(_ id: ObjectID) -> [String] {
        journal.entries(of: id).uses.map { ($0.run ?? "") + ($0.job.map { " (\($0))" } ?? "") }
      }
      var ids = [version.id]
      for edge in edges {
        for id in [edge.from, edge.to] where !ids.contains(id) { ids.append(id) }
      }
      switch json ? .json : format {
      case .json:
        let nodes = ids.map { id in
          Node(
            version: lineage.label(id), id: id.hex, type: lineage.versions[id]?.record.type,
            job: lineage.versions[id].map(\.record.job),
            run: lineage.versions[id].map(\.record.run),
            usedBy: journal.entries(of: id).uses.map { Use(run: $0.run ?? "", job: $0.job) }
              .nilIfEmpty)
        }
        let lines = edges.map {
          EdgeLine(from: lineage.label($0.from), to: lineage.label($0.to), job: $0.job)
        }
        output.line(Formatting.document(Graph(version: version.label, nodes: nodes, edges: lines)))
      case .dot:
        func quoted(_ text: String) -> String {
          var out = "\""
          for character in text {
            if character == "\\" || character == "\"" { out.append("\\") }
            out.append(character)
          }
          return out + "\""
        }
        output.line("digraph lineage {")
        output.line("  rankdir=LR;")
        output.line("  node [shape=box];")
        for id in ids {
          let style = id == version.id ? ", style=bold" : ""
          output.line("  \(quoted(lineage.label(id))) [tooltip=\(quoted(id.hex))\(style)];")
        }
        for edge in edges {
          let label = edge.job.isEmpty ? "" : " [label=\(quoted(edge.job))]"
          output.line(
            "  \(quoted(lineage.label(edge.from))) -> \(quoted(lineage.label(edge.to)))\(label);")
        }
        var runs = Set<String>()
        for id in ids {
          for use in journal.entries(of: id).uses {
            let run = quoted("run " + (use.run ?? ""))
            if runs.insert(run).inserted { output.line("  \(run) [shape=ellipse];") }
            let label = use.job.map { " label=\(quoted($0))," } ?? ""
            output.line("  \(quoted(lineage.label(id))) -> \(run) [\(label) style=dashed];")
          }
        }
        output.line("}")
      case .text:
        // A tree each way; `[job]` is the job that made the version before it.
        func job(_ id: ObjectID) -> String {
          let name = lineage.versions[id]?.record.job ?? ""
          return name.isEmpty ? "" : " [\(name)]"
        }
        output.line("\(version.label) \(version.id.prefix(12))\(job(version.id))")
        if !upstream {
          for use in uses(version.id) { output.line("  ⇢ used by run \(use)") }
        }
        func walk(_ id: ObjectID, _ edges: [Lineage.Edge], up: Bool, indent: String, level: Int) {
          guard level < (depth ?? Int.max) else { return }
          for edge in edges where (up ? edge.to : edge.from) == id {
            let next = up ? edge.from : edge.to
            output.line("\(indent)\(up ? "←" : "→") \(lineage.label(next))\(job(next))")
            walk(next, edges, up: up, indent: indent + "  ", level: level + 1)
          }
        }
        func unique(_ edges: [Lineage.Edge]) -> [Lineage.Edge] {
          var seen = Set<Lineage.Edge>()
          return edges.filter { seen.insert($0).inserted }
        }
        walk(version.id, unique(up), up: true, indent: "  ", level: 0)
        walk(version.id, unique(down), up: false, indent: "  ", level: 0)
        if edges.isEmpty, upstream || uses(version.id).isEmpty {
          output.line("  (no recorded inputs or versions made from it; see 'art commit --input')")
        }
      }
    }
  }
}

extension Array {
  /// Nil for an empty array, for JSON fields left out when empty.
  fileprivate var nilIfEmpty: Self? { isEmpty ? nil : self }
}
