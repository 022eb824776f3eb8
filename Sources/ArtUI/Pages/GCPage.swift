import ArtCore
import ArtStore

/// `/gc`: what a gc would drop, and why.
///
/// One row per version, as `art gc --dry-run --explain` prints it, under
/// the repository's policy or the `keep-last`, `keep-within` and `protect`
/// the form gives. Nothing is dropped from here.
enum GCPage {
  /// Verdicts per page.
  static let pageSize = 1000

  /// The gc plan: one verdict per live version, from their records.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` for a bad policy in the
  ///   query, or the errors of reading records.
  static func render(_ context: PageContext) throws -> UIResponse {
    let location = context.location
    let repository = context.repository
    let settings = repository.configuration.gc
    let keepLast = location.value("keep-last")?.trimmingWhitespace() ?? ""
    let keepWithin = location.value("keep-within")?.trimmingWhitespace() ?? ""
    let protect = (location.value("protect") ?? "").split(separator: " ").map(String.init)
    var override: RetentionPolicy?
    if !keepLast.isEmpty || !keepWithin.isEmpty {
      guard keepLast.isEmpty || Int(keepLast).map({ $0 >= 0 }) == true else {
        throw ArtError(
          .invalidArgument, "keep last '\(keepLast)' is not a count", hint: "give 0 or more")
      }
      override = RetentionPolicy(
        keepLast: Int(keepLast),
        keepWithin: keepWithin.isEmpty ? nil : try DurationText.milliseconds(keepWithin))
    }
    for alias in protect { _ = try Alias(alias) }
    var planner = RetentionPlanner(
      settings: settings, override: override,
      protectedAliases: Set(repository.configuration.protectedAliases + protect),
      now: WallClock.milliseconds())
    planner.expiryOverrides = try ExpiryOverrides.read(repository)
    let verdicts = try planner.plan(context.refs, repository: repository)
    let dropped = verdicts.filter { !$0.keep }

    var body = HTML()
    body.raw("<h1>Garbage collection</h1><p class=\"muted\">")
    body.text(
      "What 'art gc' would drop and why; nothing is dropped from this page. Policy: "
        + (override == nil
          ? "the repository's ([gc] in .art/config; with none, only expired versions)"
          : "the one given below")
        + "; protected aliases: "
        + (["latest"] + repository.configuration.protectedAliases + protect).joined(
          separator: ", ") + ".")
    body.raw("</p>")
    if context.linker.isLive {
      body.raw(
        "<form class=\"bar\" method=\"get\" action=\"\(context.linker.action("/gc"))\">")
      for (name, label, value, placeholder) in [
        ("keep-last", "Keep last", keepLast, "10"),
        ("keep-within", "Keep within", keepWithin, "30d"),
        ("protect", "Protect aliases", protect.joined(separator: " "), "staging"),
      ] {
        body.raw("<label>\(label)<input name=\"\(name)\" value=\"")
        body.text(value)
        body.raw("\" placeholder=\"\(placeholder)\"></label>")
      }
      body.raw("<button type=\"submit\">Plan</button></form>")
    }
    body.raw("<p><strong>")
    body.text("would drop \(HumanText.count(dropped.count, "version")) of \(verdicts.count)")
    body.raw("</strong> <span class=\"muted\">")
    body.text("('art gc --dry-run' also counts the bytes it would reclaim)")
    body.raw("</span></p>")
    let pager = Pager(page: location.page(), size: pageSize, total: verdicts.count)
    let controls = pager.controls(context.linker) { location.withPage($0) }
    body.raw(controls)
    body.raw(
      "<table class=\"sortable\"><thead><tr><th>Verdict</th><th>Version</th><th>Id</th>"
        + "<th>Created</th><th>Reason</th></tr></thead><tbody>")
    for verdict in verdicts[pager.range] {
      let version = verdict.version
      body.raw("<tr><td>")
      body.raw(
        verdict.keep
          ? "<span class=\"pill keep\">keep</span>" : "<span class=\"pill drop\">drop</span>")
      body.raw(
        "</td><td data-sort=\"\(HTML.attribute(version.artifact.text)) "
          // The number zero-padded, so v10 sorts after v2.
          + "\(String(version.number.value).leftPadded(16))\">")
      body.raw(context.versionLink(version))
      body.raw("</td>")
      body.element("td", String(version.id.hex.prefix(12)), class: "id")
      Cells.time(&body, version.record.created)
      body.element("td", verdict.reason)
      body.raw("</tr>")
    }
    body.raw("</tbody></table>")
    body.raw(controls)
    return .page(
      Chrome.page(
        title: "art: garbage collection", body: body, linker: context.linker,
        crumbs: [("Artifacts", .home), ("garbage collection", nil)]))
  }
}
