/// The frame around every page.
enum Chrome {
  /// What a page may load: its stylesheet and script from its own origin
  /// (the server, or the export's folder), nothing inline, nothing else.
  static let pagePolicy =
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    + "form-action 'self'; base-uri 'none'"

  static func page(title: String, body: HTML, linker: Linker, crumbs: [(String, Location?)] = [])
    -> String
  {
    var html = HTML()
    html.raw(
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        // The policy again, for an export opened from disk (no headers).
        + "<meta http-equiv=\"Content-Security-Policy\" content=\"\(pagePolicy)\">"
        + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        + "<meta name=\"referrer\" content=\"no-referrer\"><title>")
    html.text(title)
    html.raw(
      "</title><link rel=\"stylesheet\" href=\"\(HTML.escape(linker.href(.asset("art.css"))))\">"
        + "<script src=\"\(HTML.escape(linker.href(.asset("art.js"))))\" defer></script>"
        + "</head><body><header>")
    html.link(linker.href(.home), "art", class: "brand")
    html.link(linker.href(.home), "Artifacts")
    html.link(linker.href(.gc), "Garbage collection")
    html.raw("<span class=\"where\">\(linker.isLive ? "local, read-only" : "static export")</span>")
    html.raw("</header><main>")
    if !crumbs.isEmpty {
      html.raw("<div class=\"crumbs\">")
      for (index, crumb) in crumbs.enumerated() {
        if index > 0 { html.raw(" / ") }
        if let location = crumb.1 {
          html.link(linker.href(location), crumb.0)
        } else {
          html.text(crumb.0)
        }
      }
      html.raw("</div>")
    }
    html.raw(body.markup)
    html.raw("</main></body></html>")
    return html.markup
  }
}
