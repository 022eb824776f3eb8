import AsyncHTTPClient
import NIOCore

/// The process's one HTTP client (references and S3), on its own event
/// loops and never shut down: connections time out after 5 s (a refused
/// one is retried until then), reads after 60 s of silence.
let sharedHTTPClient = HTTPClient(
  eventLoopGroupProvider: .singleton,
  configuration: HTTPClient.Configuration(
    timeout: HTTPClient.Configuration.Timeout(connect: .seconds(5), read: .seconds(60))))
