import ArtCore
import Testing

@testable import ArtUI

@Suite("HTML escaping and addresses")
struct HTMLTests {
  @Test func everyMarkupCharacterIsEscaped() {
    let hostile = #"<script>alert("x")</script>' onload='&amp;"#
    let escaped = HTML.escape(hostile)
    #expect(!escaped.contains("<") && !escaped.contains(">") && !escaped.contains("\""))
    #expect(!escaped.contains("'"))
    #expect(escaped.contains("&amp;amp;"))
    #expect(HTML.escape("a\u{0}b\u{1B}c\u{85}d\te\n") == "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\te\n")
    // A right-to-left override would show `gpj.exe` as `exe.jpg`.
    #expect(HTML.escape("photo\u{202E}gpj.exe") == "photo\u{FFFD}gpj.exe")
    #expect(HTML.escape("a\u{2066}b\u{2069}") == "a\u{FFFD}b\u{FFFD}")
    #expect(HTML.escape("שלום") == "שלום", "right-to-left text itself stays")
  }

  @Test func textAndLinksEscapeWhatTheyAreGiven() {
    var html = HTML()
    html.element("td", "<b>", class: "n")
    html.link("/f/x/v1?path=a\"b", "<img src=x>")
    #expect(
      html.markup
        == #"<td class="n">&lt;b&gt;</td><a href="/f/x/v1?path=a&quot;b">&lt;img src=x&gt;</a>"#)
  }

  @Test func queryValuesRoundTrip() {
    for value in ["a b", "x=1&y=2", "ü/π:%", "#frag", "+plus", "../../etc/passwd", ""] {
      let location = Location(path: "/diff", query: [QueryItem("a", value), QueryItem("b", "1")])
      let url = location.serverURL
      #expect(!url.contains(" ") && !url.contains("#"))
      let parsed = QueryItem.parse(url.split(separator: "?", maxSplits: 1).last ?? "")
      #expect(parsed.first { $0.name == "a" }?.value ?? "" == value)
    }
    #expect(QueryItem.decode("%zz%4") == "%zz%4")
    #expect(QueryItem.decode("%FF") == "\u{FFFD}")
  }

  @Test func aPageOfALocationKeepsItsQuery() {
    let search = Location(
      path: "/", query: [QueryItem("q", "ds"), QueryItem("page", "3"), QueryItem("type", "t")])
    #expect(search.withPage(2).serverURL == "/?q=ds&type=t&page=2")
    #expect(search.withPage(1).serverURL == "/?q=ds&type=t")
    #expect(Location.diff("a:v0", "a:v1").withPage(4).page() == 4)
  }

  @Test func exportNamesNeverCarryAPath() {
    let locations: [Location] = [
      .file("ds", 1, path: "../../../etc/passwd"), .version("ds", 2, dir: "a/b"),
      .diff("x:v1", "x:v2", rows: "t.csv"), .home,
    ]
    for location in locations {
      let name = Linker.exportName(location)
      #expect(!name.contains("/") && !name.hasPrefix("."))
      #expect(name.hasSuffix(".html"))
    }
    #expect(Linker.exportName(.home) == "index.html")
    #expect(
      Set(locations.map(Linker.exportName)).count == locations.count,
      "distinct pages, distinct files")
  }

  @Test func previewsRecogniseImagesAndTextByTheirBytes() {
    #expect(FilePage.imageType([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]) == "image/png")
    #expect(FilePage.imageType(Array("<svg xmlns=".utf8)) == nil)
    #expect(FilePage.imageType(Array("GIF89a....".utf8)) == "image/gif")
    #expect(FilePage.looksLikeText(Array("héllo\n".utf8)))
    #expect(
      FilePage.looksLikeText(Array(Array("héllo".utf8).dropLast())), "a character cut at the end")
    #expect(!FilePage.looksLikeText([0x41, 0, 0x42]))
    #expect(!FilePage.looksLikeText([0xFF, 0xFE, 0x41, 0x42, 0x43, 0x44]))
    #expect(
      FilePage.hexDump(Array("0123456789abcdefXY".utf8), startingAt: 32)
        == "00000020  30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66  |0123456789abcdef|\n"
        + "00000030  58 59                                            |XY|")
  }

  @Test func downloadNamesCannotBreakTheHeader() {
    let header = FilePage.dispositionName("a\"b\r\nSet-Cookie: x.txt")
    #expect(!header.contains("\r") && !header.contains("\n"))
    #expect(header.hasPrefix("filename=\"a_b__Set-Cookie: x.txt\""))
  }
}

@Suite("Server addresses and text pages")
struct ServerAddressTests {
  @Test func onlyTheAddressListenedOnWithThePortIsThisServer() {
    for host in ["127.0.0.1:8080", "localhost:8080", "LOCALHOST:8080"] {
      #expect(UIServer.isOwnHost(host, port: 8080, bound: "127.0.0.1"), "\(host)")
    }
    for host in [
      "evil.example:8080", "127.0.0.1", "127.0.0.1:8081", "localhost.evil.example:8080",
      "127.0.0.1.nip.io:8080", "[::1]", "[::1]x:8080", "[evil]:8080", "", ":8080", "1.2.3:8080",
      "256.0.0.1:8080", "10.0.0.7:8080", "127.0.0.2:8080", "[::1]:8080",
    ] {
      #expect(!UIServer.isOwnHost(host, port: 8080, bound: "127.0.0.1"), "\(host)")
    }
    #expect(UIServer.isOwnHost("127.0.0.1", port: 80, bound: "127.0.0.1"), "port 80 is left out")
    #expect(UIServer.isOwnHost("[::1]:8080", port: 8080, bound: "::1"))
    #expect(UIServer.isOwnHost("localhost:8080", port: 8080, bound: "[::1]"))
    // Listening on every address: any address, never a name.
    #expect(UIServer.isOwnHost("10.0.0.7:8080", port: 8080, bound: "0.0.0.0"))
    #expect(!UIServer.isOwnHost("evil.example:8080", port: 8080, bound: "0.0.0.0"))
    #expect(!UIServer.isOwnHost("10.0.0.7:8080", port: 8080, bound: "10.0.0.8"))
  }

  @Test func loopbackIsReadFromTheAddressNotItsSpelling() {
    #expect(UIServer.isLoopback("127.0.0.1") && UIServer.isLoopback("127.1.2.3"))
    #expect(UIServer.isLoopback("::1") && UIServer.isLoopback("LocalHost"))
    #expect(!UIServer.isLoopback("127.evil.example") && !UIServer.isLoopback("0.0.0.0"))
    #expect(!UIServer.isLoopback("10.0.0.1"))
  }

  @Test func textPagesMoveToWholeCharacters() {
    // "aé" + "€…": a page boundary inside é and inside €.
    let bytes = Array("aé€b".utf8)  // 61 C3 A9 E2 82 AC 62
    #expect(Array(FilePage.textPage(bytes, startsMidFile: false, length: 2)) == Array("aé".utf8))
    let second = Array(bytes[2...])  // starts inside é
    #expect(Array(FilePage.textPage(second, startsMidFile: true, length: 2)) == Array("€".utf8))
    #expect(FilePage.textPage([], startsMidFile: true, length: 5).isEmpty)
  }
}

@Suite("Metadata as HTML")
struct JSONTreeTests {
  @Test func nestedValuesFoldAndHugeOnesStopWithACount() {
    let html = JSONTree.html(
      .object([
        "acc": .number(0.5), "<b>": .string("<i>x</i>"),
        "big": .array((0..<2500).map { .integer(Int64($0)) }),
        "nested": .object(["a": .object(["b": .bool(true)])]),
      ]))
    #expect(html.contains("&lt;b&gt;") && html.contains("&lt;i&gt;x&lt;/i&gt;"))
    #expect(html.contains("<details><summary>2500 items</summary>"))
    #expect(html.contains("1500 more"))
    #expect(html.contains("[999]") && !html.contains("[1000]"))
    #expect(html.contains("<summary>1 key</summary>"))
  }
}
