import ArtCore
import ArtStore

/// The SVG bar chart of stored bytes per version: what each stores alone
/// and what it shares with others.
enum UsageChart {
  struct Bar {
    var label: String
    var unique: UInt64
    var shared: UInt64
  }

  static func svg(_ bars: [Bar]) -> String {
    guard !bars.isEmpty else { return "" }
    let height = 160.0
    let slot = max(6.0, min(40.0, 900.0 / Double(bars.count)))
    let width = 60.0 + slot * Double(bars.count)
    let top = Double(max(1, bars.map { $0.unique + $0.shared }.max() ?? 1))
    var html = HTML()
    html.raw(
      "<div class=\"chart\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" "
        + "height=\"\(Int(height + 40))\" role=\"img\" aria-label=\"stored bytes per version\">")
    html.raw("<text x=\"0\" y=\"12\">")
    html.text(HumanText.bytes(UInt64(top)))
    html.raw("</text><text x=\"0\" y=\"\(Int(height))\">0</text>")
    let labelEvery = max(1, Int(36 / slot))
    for (index, bar) in bars.enumerated() {
      let x = 60.0 + slot * Double(index)
      let uniqueHeight = height * Double(bar.unique) / top
      let sharedHeight = height * Double(bar.shared) / top
      let barWidth = max(3.0, slot * 0.7)
      html.raw("<g><title>")
      html.text(
        "\(bar.label): \(HumanText.bytes(bar.unique)) stored alone, "
          + "\(HumanText.bytes(bar.shared)) shared")
      html.raw("</title>")
      html.raw(
        rect(x, height - uniqueHeight - sharedHeight, barWidth, sharedHeight, "#a8c7ee")
          + rect(x, height - uniqueHeight, barWidth, uniqueHeight, "#0b63c5") + "</g>")
      if index % labelEvery == 0 {
        html.raw("<text x=\"\(Int(x))\" y=\"\(Int(height + 16))\">")
        html.text(bar.label)
        html.raw("</text>")
      }
    }
    html.raw(
      "</svg><div class=\"legend muted\"><span class=\"unique\"></span>stored by this version "
        + "alone<span class=\"shared\"></span>shared with other versions</div></div>")
    return html.markup
  }

  private static func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, _ fill: String)
    -> String
  {
    "<rect x=\"\(format(x))\" y=\"\(format(y))\" width=\"\(format(w))\" height=\"\(format(h))\" "
      + "fill=\"\(fill)\"></rect>"
  }

  static func format(_ value: Double) -> String {
    let rounded = (value * 10).rounded() / 10
    return rounded == rounded.rounded() ? "\(Int(rounded))" : "\(rounded)"
  }
}
