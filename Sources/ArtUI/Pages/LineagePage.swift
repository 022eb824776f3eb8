import ArtCore
import ArtStore

/// `/lineage/NAME/vN`: the versions a version was made from and the ones
/// made from it, as an SVG laid out on the server, each node a link.
enum LineagePage {
  /// Steps shown each way.
  static let depth = 4
  /// Versions drawn at most; past them the page says how many it left out.
  static let maximumNodes = 120

  /// The lineage graph around `version`, from every live version's record.
  ///
  /// - Throws: ``ArtError`` when the imports list cannot be read.
  static func render(_ context: PageContext, version: ResolvedVersion) throws -> UIResponse {
    let lineage = try Lineage(repository: context.repository, refs: context.refs)
    // Nearest first, until the drawing holds maximumNodes versions.
    var edges: [Lineage.Edge] = []
    var drawn: Set<ObjectID> = [version.id]
    var left = 0
    for edge in lineage.edges(from: version.id, upstream: true, depth: depth)
      + lineage.edges(from: version.id, upstream: false, depth: depth)
    {
      let new = [edge.from, edge.to].filter { !drawn.contains($0) }
      if drawn.count + new.count > maximumNodes {
        left += new.count
        continue
      }
      drawn.formUnion(new)
      edges.append(edge)
    }
    let layout = LineageLayout(
      center: version.id.hex,
      edges: edges.map { LineageLayout.Edge(from: $0.from.hex, to: $0.to.hex, label: $0.job) },
      label: { key in
        ObjectID(key).map { lineage.label($0) } ?? key
      })
    var body = HTML()
    body.raw("<h1>Lineage of ")
    body.text(version.label)
    body.raw("</h1><p class=\"muted\">")
    body.text(
      "made from, to the left; made into, to the right; \(depth) steps each way "
        + "(art lineage \(version.label) --depth N goes further)")
    body.raw("</p>")
    for problem in lineage.unreadable {
      body.raw("<p class=\"error\">skipped ")
      body.text(problem)
      body.raw("</p>")
    }
    body.raw(svg(layout, context: context, lineage: lineage, center: version.id.hex))
    if edges.isEmpty, left == 0 {
      body.raw("<p class=\"muted\">No lineage recorded: commit with --input SPEC to record it.</p>")
    }
    if left > 0 {
      body.raw("<p class=\"muted\">")
      body.text(
        "\(HumanText.count(left, "more version")) within \(depth) steps not drawn "
          + "('art lineage \(version.label)' lists them all)")
      body.raw("</p>")
    }
    let name = version.artifact.text
    return .page(
      Chrome.page(
        title: "art: lineage of \(version.label)", body: body, linker: context.linker,
        crumbs: [
          ("Artifacts", .home), (name, .artifact(name)),
          ("\(version.number)", .version(name, version.number.value)), ("lineage", nil),
        ]))
  }

  static func svg(
    _ layout: LineageLayout, context: PageContext, lineage: Lineage, center: String
  ) -> String {
    var html = HTML()
    html.raw(
      "<div class=\"chart\"><svg xmlns=\"http://www.w3.org/2000/svg\" "
        + "width=\"\(Int(layout.width))\" height=\"\(Int(layout.height))\" role=\"img\" "
        + "aria-label=\"lineage graph\">")
    let w = LineageLayout.nodeWidth
    let h = LineageLayout.nodeHeight
    for edge in layout.edges {
      guard let from = layout.node(edge.from), let to = layout.node(edge.to) else { continue }
      let (x1, y1, x2, y2) = (from.x + w, from.y + h / 2, to.x, to.y + h / 2)
      let middle = (x1 + x2) / 2
      html.raw(
        "<path class=\"edge\" d=\"M\(f(x1)),\(f(y1)) C\(f(middle)),\(f(y1)) "
          + "\(f(middle)),\(f(y2)) \(f(x2)),\(f(y2))\"></path>")
      if !edge.label.isEmpty {
        html.raw("<text class=\"job\" x=\"\(f(middle - 20))\" y=\"\(f((y1 + y2) / 2 - 4))\">")
        html.text(String(edge.label.prefix(14)))
        html.raw("</text>")
      }
    }
    for node in layout.nodes {
      let id = ObjectID(node.key)
      let version = id.flatMap { lineage.versions[$0] }
      let classes =
        "node" + (node.key == center ? " center" : "") + (version == nil ? " removed" : "")
      html.raw("<g class=\"\(classes)\">")
      if let version {
        html.raw(
          "<a href=\"\(HTML.attribute(context.href(.version(version.artifact.text, version.number.value))))\">"
        )
      }
      html.raw(
        "<title>\(HTML.escape(node.label + (version.map { " (\($0.record.type))" } ?? "")))</title>"
          + "<rect x=\"\(f(node.x))\" y=\"\(f(node.y))\" width=\"\(f(w))\" height=\"\(f(h))\" "
          + "rx=\"6\"></rect><text x=\"\(f(node.x + 10))\" y=\"\(f(node.y + h / 2 + 4))\">")
      html.text(node.label.count > 24 ? String(node.label.prefix(23)) + "…" : node.label)
      html.raw("</text>")
      if version != nil { html.raw("</a>") }
      html.raw("</g>")
    }
    html.raw("</svg></div>")
    return html.markup
  }

  private static func f(_ value: Double) -> String { UsageChart.format(value) }
}
