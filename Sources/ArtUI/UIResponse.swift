public import ArtCore
public import ArtStore

/// What the UI answers to one request.
public struct UIResponse: Sendable {
  /// What the body is.
  public enum Body: Sendable {
    /// A page, stylesheet, script or SVG.
    case text(String)
    /// A stored file's bytes, read (and checked) as they are sent, from
    /// `repository`, whose lock is held until the last byte is out.
    case content(ObjectID, size: UInt64, repository: Repository)
  }

  /// The HTTP status.
  public var status: Int
  /// The `Content-Type`.
  public var contentType: String
  /// Further headers (`Content-Disposition`, or a stricter policy).
  public var headers: [(name: String, value: String)] = []
  /// The body.
  public var body: Body

  static func page(_ html: String, status: Int = 200) -> UIResponse {
    UIResponse(status: status, contentType: "text/html; charset=utf-8", body: .text(html))
  }
}
