public import ArgumentParser
import ArtCore
import ArtStore
import SystemPackage

/// The `art` command: version control for datasets and ML artifacts.
public struct ArtCommand: AsyncParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "art",
    abstract: "Version control for datasets and ML artifacts.",
    discussion: """
      art keeps versions of the data in a project folder in a repository \
      folder, .art, beside it: files are cut into content-defined chunks, \
      deduplicated, compressed and stored in packs.
      """,
    version: "0.1.0",
    groupedSubcommands: [
      CommandGroup(name: "Start", subcommands: [InitCommand.self]),
      CommandGroup(
        name: "Working with versions",
        subcommands: [
          CommitCommand.self, LogCommand.self, ListCommand.self, ShowCommand.self,
          LsFilesCommand.self, CatCommand.self,
          CheckoutCommand.self, DiffCommand.self, StatusCommand.self, CheckIgnoreCommand.self,
          AliasCommand.self, TagCommand.self, AnnotateCommand.self, MoveCommand.self,
          RemoveCommand.self, RevParseCommand.self, LineageCommand.self, UseCommand.self,
          RunsCommand.self, VerifyCommand.self, UICommand.self,
        ]),
      CommandGroup(
        name: "Versions built by many workers",
        subcommands: [UpsertCommand.self, FinishCommand.self, DraftsCommand.self]),
      CommandGroup(
        name: "Other projects and the shared cache",
        subcommands: [ProjectCommand.self, CacheCommand.self]),
      CommandGroup(
        name: "Remotes (S3 buckets and shared folders)",
        subcommands: [
          RemoteCommand.self, PushCommand.self, FetchCommand.self, PullCommand.self,
          CloneCommand.self,
        ]),
      CommandGroup(
        name: "Keeping the repository in shape",
        subcommands: [
          GCCommand.self, FsckCommand.self, RepackCommand.self, DuCommand.self, TTLCommand.self,
        ]),
      CommandGroup(
        name: "Plumbing (objects, manifests and packs)",
        subcommands: [
          HashObjectCommand.self, WriteManifestCommand.self, ReadManifestCommand.self,
          CatObjectCommand.self,
          LsManifestCommand.self, VerifyPackCommand.self, CountObjectsCommand.self,
        ]),
    ])

  @OptionGroup var global: GlobalOptions

  public init() {}
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
  @Option(
    name: [.customShort("C"), .customLong("directory")],
    help: ArgumentHelp("Run as if art was started in DIR.", valueName: "DIR"))
  var directory: String?

  @Option(
    help: ArgumentHelp(
      "Seconds to wait for another art process's lock before giving up.", valueName: "SECONDS"))
  var lockTimeout: Int = 60

  @Flag(
    name: .shortAndLong,
    help: "Print only errors: no progress, and no summary of what was done.")
  var quiet = false

  /// The folder the command runs in, absolute.
  func workingDirectory() throws -> FilePath {
    let current = try Syscalls.currentDirectory()
    guard let directory else { return current }
    return current.pushing(FilePath(directory)).lexicallyNormalized()
  }

  /// `path` resolved against the working folder.
  func resolve(_ path: String) throws -> FilePath {
    try workingDirectory().pushing(FilePath(path)).lexicallyNormalized()
  }
}

/// A subcommand: rendering errors and choosing the exit status happen here,
/// once, around ``execute(output:)``.
protocol ArtSubcommand: AsyncParsableCommand {
  var global: GlobalOptions { get }
  /// Whether `--json` was given (false for commands without it).
  var json: Bool { get }
  /// Whether what the command prints is a summary of what it did (commit,
  /// checkout, push…), which `-q` silences; commands that print data
  /// (log, show, diff…) print it under `-q` too.
  static var printsSummary: Bool { get }
  func execute(output: Output) async throws
}

extension ArtSubcommand {
  var json: Bool { false }
  static var printsSummary: Bool { false }

  func run() async throws {
    let output = Output.current
    defer { output.flush() }
    Syscalls.raiseOpenFileLimit()
    if global.quiet, Self.printsSummary, !json { output.quiet() }
    do {
      try await execute(output: output)
    } catch let error as ArtError {
      output.fail(error, json: json)
      throw CommandFailure(status: ExitStatus(error.code).rawValue)
    } catch is CancellationError {
      throw CommandFailure(status: ExitStatus.interrupted.rawValue)
    }
  }

  /// The repository containing the working folder, with its lock held
  /// (`shared` unless the command deletes packs), waiting `--lock-timeout`.
  func repository(_ mode: RepositoryLock.Mode = .shared) throws -> Repository {
    try Repository.discover(from: global.workingDirectory(), lock: lockRequest(mode))
  }

  /// The repository lock this command takes, waiting `--lock-timeout` and
  /// saying so on standard error; `purpose` is added to the command's name
  /// that waiters see.
  func lockRequest(_ mode: RepositoryLock.Mode, purpose: String = "") -> Repository.LockRequest {
    let output = Output.current
    return Repository.LockRequest(
      mode, command: "art " + Self._commandName + purpose,
      timeout: .seconds(max(0, global.lockTimeout)), report: { output.note($0) })
  }

  /// The refs file of `repository`, waiting `--lock-timeout` for a lock and
  /// reporting waits and stale locks on standard error.
  func refStore(_ repository: Repository, output: Output) -> RefStore {
    var store = repository.refs
    store.lockTimeout = .seconds(max(0, global.lockTimeout))
    store.report = { output.note($0) }
    return store
  }
}

/// Parses `--compression`.
func parseCompression(_ text: String) throws -> Compression {
  do {
    return try Compression(name: text)
  } catch let error as ArtError {
    throw ValidationError("\(error.message): \(error.hint ?? "")")
  }
}
