import Foundation
import SystemPackage

/// A real HTTP server on 127.0.0.1 serving a folder (Python's `http.server`).
///
/// `GET /dying/NAME` promises 1 MiB, then the server process exits after
/// sending a quarter of it.
public final class HTTPTestServer: @unchecked Sendable {
  private let process: Process
  /// The port it listens on.
  public let port: Int

  /// `http://127.0.0.1:PORT`.
  public var base: String { "http://127.0.0.1:\(port)" }

  static let script = """
    import http.server, os, sys
    root = sys.argv[1]
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=root, **kwargs)
        def log_message(self, *args):
            pass
        def dying_head(self):
            self.send_response(200)
            self.send_header("Content-Length", str(1 << 20))
            self.send_header("ETag", '"dying-1"')
            self.end_headers()
        def do_HEAD(self):
            if self.path.startswith("/dying/"):
                return self.dying_head()
            return super().do_HEAD()
        def do_GET(self):
            if self.path.startswith("/dying/"):
                self.dying_head()
                self.wfile.write(b"x" * (1 << 18))
                self.wfile.flush()
                os._exit(0)
            return super().do_GET()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """

  /// Starts a server for `folder`; it is stopped by ``stop()``.
  public init(serving folder: FilePath) throws {
    let scriptPath = folder.removingLastComponent().appending("http-server.py")
    try writeFile(Array(Self.script.utf8), to: scriptPath)
    process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", scriptPath.string, folder.string]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    var line = Data()
    while !line.contains(0x0A) {
      let data = pipe.fileHandleForReading.availableData
      if data.isEmpty { break }
      line += data
    }
    guard let text = String(data: line, encoding: .utf8),
      let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    else {
      process.terminate()
      throw CocoaError(.fileReadUnknown)
    }
    self.port = port
  }

  /// Stops the server (SIGKILL) and waits for it.
  public func stop() {
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
  }

  deinit { stop() }
}
