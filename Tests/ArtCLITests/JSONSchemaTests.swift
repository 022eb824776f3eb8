import ArgumentParser
import ArtCLI
import ArtCore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// Every command's `--json` output against the schemas of `Docs/JSON.md`:
/// a field the output has and the file lacks, a required field missing, or
/// a value of another type fails.
@Suite("JSON output matches Docs/JSON.md")
struct JSONSchemaTests {
  /// `Docs/JSON.md`, found from this file.
  static var documentation: FilePath {
    var path = FilePath(#filePath)
    while path.lastComponent?.string != "Tests" { path.removeLastComponent() }
    path.removeLastComponent()
    return path.appending("Docs/JSON.md")
  }

  /// Each `### \`art …\`` heading's schema: the first `json` block after it.
  static func schemas() throws -> [String: JSONValue] {
    let text = try String(contentsOfFile: documentation.string, encoding: .utf8)
    var result: [String: JSONValue] = [:]
    var heading: String?
    var block: [Substring]?
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("### `") {
        heading = String(line.dropFirst(5).prefix { $0 != "`" })
      } else if line == "```json", heading != nil {
        block = []
      } else if line == "```", let lines = block, let name = heading {
        result[name] = try JSONDecoder().decode(
          JSONValue.self, from: Data(lines.joined(separator: "\n").utf8))
        block = nil
        heading = nil
      } else if block != nil {
        block?.append(line)
      }
    }
    return result
  }

  /// Problems of `value` against `schema`, each naming where (`at`).
  static func problems(_ value: JSONValue, _ schema: JSONValue, at path: String) -> [String] {
    switch schema {
    case .string(let type):
      let fits: Bool
      switch (type, value) {
      case ("any", _): fits = true
      case ("string", .string): fits = true
      case ("integer", .integer): fits = true
      case ("number", .integer), ("number", .number): fits = true
      case ("boolean", .bool): fits = true
      case ("id", .string(let text)):
        fits = text.count == 64 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
      case ("time", .string(let text)):
        fits =
          (try? TimeText.milliseconds(text, now: 0)) != nil && text.hasSuffix("Z")
          && text.contains("T")
      default: fits = false
      }
      return fits ? [] : ["\(path): \(value) is not \(type)"]
    case .array(let element):
      guard case .array(let items) = value else { return ["\(path): not an array"] }
      guard let shape = element.first else { return [] }
      return items.enumerated().flatMap { problems($1, shape, at: "\(path)[\($0)]") }
    case .object(let fields):
      guard case .object(let object) = value else { return ["\(path): not an object"] }
      if let any = fields["*"] {
        return object.flatMap { problems($0.value, any, at: "\(path).\($0.key)") }
      }
      var found: [String] = []
      for (key, shape) in fields {
        let optional = key.hasSuffix("?")
        let name = optional ? String(key.dropLast()) : key
        guard let field = object[name] else {
          if !optional { found.append("\(path).\(name): missing") }
          continue
        }
        found += problems(field, shape, at: "\(path).\(name)")
      }
      for key in object.keys where fields[key] == nil && fields[key + "?"] == nil {
        found.append("\(path).\(key): not in Docs/JSON.md")
      }
      return found
    default:
      return ["\(path): the schema has \(schema)"]
    }
  }

  /// Runs the binary with the user cache in `folder/cache`.
  func art(_ arguments: [String], in folder: FilePath, cache: FilePath) throws -> ProcessResult {
    try ArtProcess.runTool(
      "/usr/bin/env", ["ART_CACHE_DIR=\(cache.string)", ArtProcess.binary] + arguments,
      in: folder)
  }

  @Test func everyCommandPrintsWhatJSONMdSays() async throws {
    let schemas = try Self.schemas()
    try await withTemporaryDirectory { top in
      let cache = top.appending("cache")
      let repo = top.appending("repo")
      let project = top.appending("project")
      try writeFile(Array("p\n".utf8), to: project.appending("d/p.txt"))
      #expect(try art(["init"], in: project, cache: cache).status == 0)
      #expect(try art(["commit", "pds", "d"], in: project, cache: cache).status == 0)
      try writeFile(Array("id,v\n1,a\n2,b\n".utf8), to: repo.appending("data/t.csv"))
      try writeFile(Array("x\n".utf8), to: repo.appending("data/x.txt"))
      try writeFile(Array("e\n".utf8), to: top.appending("ext/e.bin"))

      var covered = Set<String>()
      /// Runs `arguments` + `--json` and checks it against `heading`'s schema.
      func check(_ heading: String, _ arguments: String..., status: Int32 = 0) throws {
        covered.insert(heading)
        let result = try art(arguments + ["--json"], in: repo, cache: cache)
        #expect(result.status == status, "\(arguments): \(result.standardError)")
        let schema = try #require(schemas[heading], "no schema '\(heading)' in Docs/JSON.md")
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(result.standardOutputBytes))
        let found = Self.problems(value, schema, at: "art " + arguments.joined(separator: " "))
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
      }

      try check("art init", "init")
      try check("art commit", "commit", "ds", "data", "--metadata", "k=1")
      try writeFile(Array("id,v\n1,a\n2,c\n".utf8), to: repo.appending("data/t.csv"))
      try check("art commit", "commit", "ds", "--alias", "production")
      try check(
        "art commit", "commit", "model", "--add", "data/x.txt=w.txt", "--reference",
        top.appending("ext/e.bin").string + "=e.bin", "--input", "ds:v0")
      try check("art commit", "commit", "bundle", "--reference", "art:ds:v1=dsv1")
      try check("art ls", "ls")
      try check("art ls", "log")
      try check("art log NAME", "log", "ds")
      try check("art show", "show", "ds")
      try check("art ls-files", "ls-files", "model")
      try check("art ls-files", "ls-files", "bundle", "--path", "dsv1")
      try check("art show", "show", "bundle")
      try check("art checkout", "checkout", "ds:v0", "--to", "../copy")
      try check("art diff", "diff", "ds:v0", "ds:v1")
      try check("art diff", "diff", "ds:v0", "ds:v1", "--stat")
      try check("art diff --metadata", "diff", "ds:v0", "ds:v1", "--metadata")
      try check("art diff --rows", "diff", "ds:v0", "ds:v1", "--rows", "--key", "id")
      try check("art status", "status")
      try check("art check-ignore", "check-ignore", ".git/config", "data/t.csv")
      try check("art alias set", "alias", "set", "ds:v0", "best")
      try check("art alias rm", "alias", "rm", "ds:best")
      try check("art alias ls", "alias", "ls")
      try check("art tag add", "tag", "add", "ds:v0", "golden", "raw")
      try check("art tag add", "tag", "rm", "ds:v0", "raw")
      try check("art tag ls", "tag", "ls")
      try check("art annotate", "annotate", "ds:v0", "-m", "edited", "--metadata", "a.b=2")
      try check("art use", "use", "ds:v0", "--run", "r7", "--job", "train")
      try check("art runs", "runs")
      try check("art show", "show", "ds:v0")
      try check("art rev-parse", "rev-parse", "ds")
      try check("art lineage", "lineage", "model")
      try check("art verify", "verify", "model")
      try check("art verify --folder", "verify", "ds:v0", "--folder", "../copy")
      try check(
        "art upsert", "upsert", "shards", "--distributed-id", "run-1", "data/x.txt")
      try check("art drafts", "drafts")
      try check("art finish", "finish", "shards", "--distributed-id", "run-1")
      try check("art project add", "project", "add", "p", "../project")
      try check("art project ls", "project", "ls")
      try check("art show", "show", "p/pds")
      try check("art cache info", "cache", "info")
      try check("art cache cleanup", "cache", "cleanup", "1GB")
      try check("art project add", "remote", "add", "origin", "../remote")
      try check("art remote ls", "remote", "ls")
      try check("art push", "push")
      try check("art fetch", "fetch", "--remote", "origin")
      try check("art fetch", "pull", "origin")
      try check("art fetch", "clone", "../remote", "../cloned")
      try check("art gc --remote", "gc", "--remote", "origin", "--dry-run")
      try check("art project add", "remote", "rm", "origin")
      try check("art project add", "project", "rm", "p")
      try check("art ttl set", "ttl", "set", "ds:v0", "30d")
      try check("art ttl set", "ttl", "set", "ds:v0", "none")
      try check("art rm", "rm", "ds:v0")
      try check("art mv", "mv", "model", "weights")
      try check("art gc", "gc", "--dry-run", "--explain")
      try check("art fsck", "fsck", "--full")
      try check("art du", "du", "ds")
      try check("art ui --export", "ui", "--export", "../site")
      // The server prints its document once it listens, then serves on.
      covered.insert("art ui")
      let server = Process()
      server.executableURL = URL(fileURLWithPath: ArtProcess.binary)
      server.arguments = ["ui", "--json", "--port", "0"]
      server.currentDirectoryURL = URL(fileURLWithPath: repo.string)
      let pipe = Pipe()
      server.standardOutput = pipe
      server.standardError = FileHandle.nullDevice
      try server.run()
      var line: [UInt8] = []
      while let byte = try pipe.fileHandleForReading.read(upToCount: 1)?.first, byte != 10 {
        line.append(byte)
      }
      server.terminate()
      server.waitUntilExit()
      let served = try JSONDecoder().decode(JSONValue.self, from: Data(line))
      let uiSchema = try #require(schemas["art ui"], "no schema 'art ui' in Docs/JSON.md")
      let uiProblems = Self.problems(served, uiSchema, at: "art ui --json")
      #expect(uiProblems.isEmpty, "\(uiProblems.joined(separator: "\n"))")
      try check("art repack", "repack")
      try check("art hash-object", "hash-object", "data/x.txt")
      try check("art write-manifest", "write-manifest", "data")
      let manifest = try #require(
        try art(["show", "ds", "--json"], in: repo, cache: cache).standardOutput
          .split(separator: "\"manifest\" : \"").dropFirst().first?.prefix(64))
      try check("art read-manifest", "read-manifest", String(manifest), "../tree")
      try check("art cat-object", "cat-object", "-t", String(manifest))
      try check("art cat-object", "cat-object", "-s", String(manifest))
      try check("art ls-manifest", "ls-manifest", "-r", String(manifest))
      try check("art verify-pack", "verify-pack")
      try check("art count-objects", "count-objects")
      try check("error", "show", "ds:v99", status: 1)
      try check("error", "comit", "ds", status: 64)
      try check("error", "checkout", "ds:v1", "--to", "../copy", "--path", "nothing", status: 1)

      #expect(Set(schemas.keys) == covered, "schemas without a run, or runs without a schema")
    }
  }

  /// Every command that prints takes `--json` (read from each one's help).
  @Test func everyCommandTakesJSON() async throws {
    func leaves(_ command: any ParsableCommand.Type, _ path: [String]) -> [[String]] {
      let subcommands = command.configuration.subcommands
      if subcommands.isEmpty { return [path] }
      return subcommands.flatMap { leaves($0, path + [$0._commandName]) }
    }
    // `cat` prints the file itself, nothing to put in JSON.
    for path in leaves(ArtCommand.self, []) where path != ["cat"] {
      let (status, out, _) = await runInProcess(path + ["--help"])
      #expect(status == 0)
      #expect(out.contains("--json"), "art \(path.joined(separator: " ")) has no --json")
    }
  }
}
