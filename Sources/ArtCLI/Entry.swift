import ArgumentParser
import ArtCore
import ArtStore
import Foundation

extension ArtCommand {
  /// Runs art with `arguments` (without the program name) and returns the
  /// exit status: what the binary does, and what in-process tests call.
  ///
  /// Every error reads the same way, whether art or the argument parser
  /// found it: `art: error: …` and `art: hint: …` on standard error, and
  /// under `--json` one error object on standard output (`Docs/JSON.md`).
  /// A word that is no command gets the nearest command names; misuse of
  /// any kind exits 64.
  public static func execute(arguments: [String]) async -> Int32 {
    let output = Output.current
    defer { output.flush() }
    let json = arguments.contains("--json")
    if let misuse = unknownCommand(in: arguments) {
      output.fail(misuse, json: json)
      return ExitStatus.usage.rawValue
    }
    var command: any ParsableCommand
    do {
      command = try parseAsRoot(arguments)
    } catch {
      // Help and --version end here too, with status 0.
      if printedHelp(for: error, to: output) { return 0 }
      output.fail(usageError(error), json: json)
      return ExitStatus.usage.rawValue
    }
    do {
      if var asyncCommand = command as? any AsyncParsableCommand {
        try await asyncCommand.run()
      } else {
        try command.run()
      }
      return 0
    } catch let failure as CommandFailure {
      return failure.status  // reported by the command
    } catch let exit as ExitCode {
      return exit.rawValue  // a status chosen on purpose (verify, --exit-code)
    } catch let error as ValidationError {
      output.fail(usageError(error), json: json)
      return ExitStatus.usage.rawValue
    } catch {
      // Help asked for by the parsed command itself (`art alias`) ends here.
      if printedHelp(for: error, to: output) { return 0 }
      // Not art's own error: a failure, not a misuse.
      output.fail(ArtError(.io, "\(error)"), json: json)
      return ExitStatus.failure.rawValue
    }
  }

  /// Whether `error` is the parser's way of ending with status 0 (help,
  /// `--version`); its text is then printed on standard output.
  private static func printedHelp(for error: any Error, to output: Output) -> Bool {
    guard exitCode(for: error).rawValue == 0 else { return false }
    let message = fullMessage(for: error)
    if !message.isEmpty { output.line(message) }
    return true
  }

  /// The argument parser's error as art's: its message, and the usage line
  /// and where help is as the hint.
  private static func usageError(_ error: any Error) -> ArtError {
    let lines = fullMessage(for: error).split(separator: "\n", omittingEmptySubsequences: true)
      .map { $0.trimmingCharacters(in: .whitespaces) }
    var message = lines.first ?? "\(error)"
    if message.hasPrefix("Error: ") { message.removeFirst(7) }
    if let first = message.first, first.isUppercase, message.dropFirst().first?.isLowercase == true
    {
      message = first.lowercased() + message.dropFirst()
    }
    // The usage lines (as many as the command has forms) and where help is.
    var usage: [String] = []
    var help = "see 'art --help'"
    for line in lines.dropFirst() {
      if line.hasPrefix("Usage: ") {
        usage.append(String(line.dropFirst(7)))
      } else if line.hasPrefix("See '"), let end = line.dropFirst(5).firstIndex(of: "'") {
        help = "see '\(line[line.index(line.startIndex, offsetBy: 5)..<end])'"
      } else if !usage.isEmpty, line.hasPrefix("art ") {
        usage.append(line)
      }
    }
    return ArtError(
      .invalidArgument, message,
      hint: (usage.isEmpty ? "" : "usage: " + usage.joined(separator: " | ") + "; ") + help)
  }

  /// A misuse the parser would report badly: a first word that is no
  /// command (`art comit`), or `art help WORD` for one.
  private static func unknownCommand(in arguments: [String]) -> ArtError? {
    let names = configuration.subcommands.map { $0._commandName } + ["help"]
    // The root's options that take a value.
    let valued: Set<String> = [
      "-C", "--directory", "--lock-timeout", "--generate-completion-script",
    ]
    // The shell completion scripts call back with `---completion …`.
    if arguments.first == "---completion" { return nil }
    var index = 0
    while index < arguments.count, arguments[index].hasPrefix("-") {
      let argument = arguments[index]
      if argument == "--" { return nil }
      // `-qC DIR`: short flags run together, the last taking a value.
      let takesValue =
        valued.contains(argument) || (!argument.hasPrefix("--") && argument.hasSuffix("C"))
      index += takesValue ? 2 : 1
    }
    guard index < arguments.count else { return nil }
    var word = arguments[index]
    if word == "help" {
      guard index + 1 < arguments.count, !arguments[index + 1].hasPrefix("-") else { return nil }
      word = arguments[index + 1]
    }
    guard !names.contains(word) else { return nil }
    let near = names.filter { $0 != "help" }
      .map { ($0, HumanText.editDistance($0, word)) }
      .filter { $0.1 <= max(2, word.count / 3) || $0.0.hasPrefix(word) }
      .sorted { ($0.1, $0.0) < ($1.1, $1.0) }
      .prefix(3).map { "'\($0.0)'" }
    return ArtError(
      .invalidArgument, "'\(word)' is not an art command",
      hint: near.isEmpty
        ? "list the commands with 'art --help'"
        : "did you mean \(near.joined(separator: " or "))?")
  }
}

/// A command that has reported its own failure and only needs its status.
struct CommandFailure: Error {
  var status: Int32
}

extension Output {
  /// Reports `error` as text on standard error and, under `--json`, as the
  /// error object on standard output.
  func fail(_ error: ArtError, json: Bool) {
    report(error)
    if json { writeJSONError(error) }
  }
}
