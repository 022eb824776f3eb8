import ArtCore
import ArtStore
import ArtTestSupport
import Foundation
import SystemPackage
import Testing

/// What a crafted repository, a planted symbolic link or a damaged refs
/// file can make the real binary do: each test asserts that nothing changed
/// outside a sentinel folder's snapshot and, where art refuses, that `.art`
/// is unchanged too.
@Suite("Hostile input")
struct HostileTests {
  /// Runs art in process in `folder` (see ``artInProcess(_:in:clockAhead:)``).
  func art(_ arguments: String..., in folder: FilePath) async throws -> ProcessResult {
    await artInProcess(arguments, in: folder)
  }

  /// Every path below `folder` with its kind and content (links by target).
  static func snapshot(_ folder: FilePath) -> [String: String] {
    var result: [String: String] = [:]
    let manager = FileManager.default
    guard let names = try? manager.subpathsOfDirectory(atPath: folder.string) else { return [:] }
    for name in names {
      let path = folder.string + "/" + name
      if let target = try? manager.destinationOfSymbolicLink(atPath: path) {
        result[name] = "link " + target
      } else if let data = manager.contents(atPath: path) {
        let mode = (try? manager.attributesOfItem(atPath: path)[.posixPermissions]) as? Int ?? 0
        result[name] = "file \(String(mode, radix: 8)) " + data.base64EncodedString()
      } else {
        result[name] = "folder"
      }
    }
    return result
  }

  /// `.art` without the files every command may touch (lock, state).
  static func store(_ repo: FilePath) -> [String: String] {
    snapshot(repo.appending(".art")).filter { !$0.key.hasPrefix("state") && $0.key != "lock" }
  }

  /// A repository `repo` and a sentinel folder `sentinel` beside it holding one file.
  func setUp(_ folder: FilePath) async throws -> (repo: FilePath, sentinel: FilePath) {
    let repo = folder.appending("repo")
    let sentinel = folder.appending("sentinel")
    try writeFile(Array("keep\n".utf8), to: sentinel.appending("keep.txt"))
    #expect(try await art("init", "repo", in: folder).status == 0)
    return (repo, sentinel)
  }

  /// Adds the folder remote `origin` (`../remote`) to `repo` and pushes to it.
  func pushToRemote(_ repo: FilePath) async throws {
    #expect(try await art("remote", "add", "origin", "../remote", in: repo).status == 0)
    #expect(try await art("push", "origin", in: repo).status == 0)
  }

  /// Stores a one-file version of `artifact` with `root` and refs naming it.
  @discardableResult
  func craftVersion(
    _ artifact: String, root: String, entries: [Crafter.Entry]? = nil, in repo: FilePath
  ) throws -> ObjectID {
    let blob = Array("pwned\n".utf8)
    let blobID = ObjectHasher.id(of: blob)
    let manifest = Crafter.manifest(entries ?? [Crafter.Entry("pwned", .file, blobID, size: 6)])
    let manifestID = ObjectHasher.id(of: manifest)
    let record = Crafter.record(artifact: artifact, number: 0, root: root, manifest: manifestID)
    let ids = try Crafter.store(
      [(blob, .blob), (manifest, .manifest), (record, .version)], in: repo)
    try Crafter.writeRefs(
      ["\(artifact):latest \(ids[2].hex)", "\(artifact):v0 \(ids[2].hex)"], in: repo)
    return ids[2]
  }

  @Test(arguments: [
    "../sentinel", "/tmp", "sub/../../sentinel", "..", ".art", "a/.art", "a//b", "./a", "a/",
  ])
  func recordRootsCannotLeaveTheRepository(root: String) async throws {
    try await withTemporaryDirectory { folder in
      let (repo, sentinel) = try await setUp(folder)
      try craftVersion("evil", root: root == "/tmp" ? sentinel.string : root, in: repo)
      let before = (Self.snapshot(sentinel), Self.store(repo))
      for arguments in [["checkout", "evil"], ["checkout", "evil", "--force"], ["show", "evil"]] {
        let result = try ArtProcess.run(arguments, in: repo)
        #expect(result.status == 2, "\(arguments): \(result.standardError)")
        #expect(result.standardError.contains("art: error:"))
        #expect(result.standardError.contains("root folder"), "\(result.standardError)")
      }
      #expect(Self.snapshot(sentinel) == before.0)
      #expect(Self.store(repo) == before.1)
      #expect(!FileManager.default.fileExists(atPath: folder.appending("pwned").string))
    }
  }

  @Test(arguments: [".art", "sub"])
  func manifestEntriesNamedArtAreRefused(top: String) async throws {
    try await withTemporaryDirectory { folder in
      let (repo, _) = try await setUp(folder)
      let config = Array("[core]\n\tformat = 1\n".utf8)
      let configID = ObjectHasher.id(of: config)
      let inner = Crafter.manifest([Crafter.Entry("config", .file, configID, size: 0)])
      var entries = [Crafter.Entry(".art", .folder, ObjectHasher.id(of: inner), size: 0)]
      if top == "sub" {
        let sub = Crafter.manifest(entries)
        entries = [Crafter.Entry("sub", .folder, ObjectHasher.id(of: sub), size: 0)]
        try Crafter.store([(sub, .manifest)], in: repo)
      }
      try Crafter.store([(config, .blob), (inner, .manifest)], in: repo)
      try craftVersion("evil", root: "", entries: entries, in: repo)
      let before = Self.store(repo)
      for arguments in [["checkout", "evil", "--force"], ["checkout", "evil", "--to", "../out"]] {
        let result = try ArtProcess.run(arguments, in: repo)
        #expect(result.status == 2, "\(arguments): \(result.standardError)")
        #expect(result.standardError.contains("'.art'"), "\(result.standardError)")
      }
      #expect(Self.store(repo) == before)
      #expect(!FileManager.default.fileExists(atPath: repo.appending("sub/.art").string))
    }
  }

  @Test func aLinkFromAnEarlierVersionIsNotFollowedByAnother() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, sentinel) = try await setUp(folder)
      try writeFile(Array("b\n".utf8), to: repo.appending("data/b.txt"))
      #expect(try await art("commit", "bb", "data", in: repo).status == 0)
      try FileManager.default.removeItem(atPath: repo.appending("data").string)
      try FileManager.default.createSymbolicLink(
        atPath: repo.appending("data").string, withDestinationPath: sentinel.string)
      // Stored as a link: with --root, as a lone link to a folder is refused.
      #expect(try await art("commit", "aa", "data", "--root", ".", in: repo).status == 0)
      try FileManager.default.removeItem(atPath: repo.appending("data").string)
      #expect(try await art("checkout", "aa", in: repo).status == 0)
      let before = Self.snapshot(sentinel)
      let result = try await art("checkout", "bb", in: repo)
      #expect(result.status == 64, "\(result.standardError)")
      #expect(result.standardError.contains("symbolic link"))
      #expect(Self.snapshot(sentinel) == before)
    }
  }

  @Test func aUsersLinkedFolderIsRefusedAndForceReplacesTheLinkOnly() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, sentinel) = try await setUp(folder)
      try writeFile(Array("one\n".utf8), to: repo.appending("d/x"))
      try writeFile(Array("two\n".utf8), to: repo.appending("d/y"))
      #expect(try await art("commit", "ds", "d", in: repo).status == 0)
      try FileManager.default.removeItem(atPath: repo.appending("d").string)
      try FileManager.default.createSymbolicLink(
        atPath: repo.appending("d").string, withDestinationPath: sentinel.string)
      try writeFile(Array("other\n".utf8), to: sentinel.appending("x"))
      let before = Self.snapshot(sentinel)
      let refused = try await art("checkout", "ds:v0", in: repo)
      #expect(refused.status == 64)
      #expect(refused.standardError.contains("--force"))
      #expect(Self.snapshot(sentinel) == before)
      #expect(try await art("checkout", "ds:v0", "--force", in: repo).status == 0)
      #expect(Self.snapshot(sentinel) == before)
      #expect(Self.snapshot(repo.appending("d")).keys.sorted() == ["x", "y"])
    }
  }

  @Test func switchingACleanFolderToALinkAndBackNeedsNoForce() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, sentinel) = try await setUp(folder)
      try writeFile(Array("one\n".utf8), to: repo.appending("w/d/x"))
      #expect(try await art("commit", "ds", "w", in: repo).status == 0)
      try FileManager.default.removeItem(atPath: repo.appending("w/d").string)
      try FileManager.default.createSymbolicLink(
        atPath: repo.appending("w/d").string, withDestinationPath: sentinel.string)
      #expect(try await art("commit", "ds", in: repo).status == 0)
      let before = Self.snapshot(sentinel)
      for _ in 0..<2 {
        let back = try await art("checkout", "ds:v0", in: repo)
        #expect(back.status == 0, "\(back.standardError)")
        #expect(Self.snapshot(repo.appending("w"))["d/x"] != nil)
        let again = try await art("checkout", "ds:v1", in: repo)
        #expect(again.status == 0, "\(again.standardError)")
        #expect(Self.snapshot(repo.appending("w"))["d"] == "link " + sentinel.string)
      }
      // --path below the link of v1 does not write through it.
      let path = try await art("checkout", "ds:v0", "--path", "d/x", in: repo)
      #expect(path.status == 64, "\(path.standardError)")
      #expect(Self.snapshot(sentinel) == before)
    }
  }

  @Test func storedModesLoseSetuidSetgidAndSticky() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, _) = try await setUp(folder)
      let blob = Array("#!/bin/sh\n".utf8)
      let blobID = ObjectHasher.id(of: blob)
      let inner = Crafter.manifest([Crafter.Entry("tool", .file, blobID, size: 10, mode: 0o6777)])
      try Crafter.store([(blob, .blob), (inner, .manifest)], in: repo)
      try craftVersion(
        "evil", root: "",
        entries: [
          Crafter.Entry("bin", .folder, ObjectHasher.id(of: inner), size: 10, mode: 0o1777),
          Crafter.Entry("run", .file, blobID, size: 10, mode: 0o4755),
        ], in: repo)
      for arguments in [["checkout", "evil"], ["checkout", "evil", "--to", "../out"]] {
        let result = try ArtProcess.run(arguments, in: repo)
        #expect(result.status == 0, "\(arguments): \(result.standardError)")
      }
      let umask = Syscalls.fileCreationMask
      for path in ["repo/run", "repo/bin/tool", "out/run", "out/bin/tool", "out/bin"] {
        let status = try #require(try Syscalls.linkStatus(folder.appending(path)))
        #expect(status.permissions & 0o7000 == 0, "\(path) \(String(status.permissions, radix: 8))")
        #expect(status.permissions & umask == 0, "\(path)")
      }
    }
  }

  @Test func referenceReadsStopAtTheRecordedSize() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, _) = try await setUp(folder)
      let source = folder.appending("shared/data.bin")
      try writeFile(.random(count: 1000, seed: 1), to: source)
      #expect(
        try await art("commit", "ds", "--reference", "\(source)=data.bin", in: repo).status == 0)
      // It grows by 8 MiB: art reads 1001 bytes and stops.
      try writeFile(.random(count: 8 << 20, seed: 2), to: source)
      let grown = try await art("checkout", "ds", "--to", "../out", "--allow-changed", in: repo)
      #expect(grown.status == 3, "\(grown.standardError)")
      #expect(grown.standardError.contains("larger than the 1000 bytes"))
      #expect(Self.snapshot(folder.appending("out")).isEmpty)
      // A FIFO in its place is refused, not waited on.
      try FileManager.default.removeItem(atPath: source.string)
      #expect(mkfifo(source.string, 0o644) == 0)
      let fifo = try await art("checkout", "ds", "--to", "../out2", in: repo)
      #expect(fifo.status == 64, "\(fifo.standardError)")
      #expect(fifo.standardError.contains("not a regular file"))
    }
  }

  @Test func gcAndReadersRefuseInconsistentRefs() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, _) = try await setUp(folder)
      try writeFile(Array("a\n".utf8), to: repo.appending("a/f"))
      try writeFile(Array("b\n".utf8), to: repo.appending("b/f"))
      #expect(try await art("commit", "aa", "a", in: repo).status == 0)
      #expect(try await art("commit", "bb", "b", in: repo).status == 0)
      let refs = try #require(try AtomicFile.read(repo.appending(".art/refs")))
      let lines = String(decoding: refs, as: UTF8.self).split(separator: "\n")
        .filter { !$0.hasPrefix("#") }.map(String.init)
      let aa = try #require(lines.first { $0.hasPrefix("aa:v0 ") }).split(separator: " ")[1]
      let bb = try #require(lines.first { $0.hasPrefix("bb:v0 ") }).split(separator: " ")[1]
      let cases: [(String, [String], [String])] = [
        (
          "repeated line",
          ["aa:latest \(aa)", "aa:v0 \(aa)", "aa:v0 \(aa)", "bb:latest \(bb)", "bb:v0 \(bb)"],
          ["repeats"]
        ),
        (
          "alias on a deleted version",
          ["aa:latest \(aa)", "aa:v0 deleted", "bb:latest \(bb)", "bb:v0 \(bb)"], ["not a version"]
        ),
        (
          "ref to another artifact's record",
          ["aa:latest \(bb)", "aa:v0 \(bb)", "bb:latest \(bb)", "bb:v0 \(bb)"],
          ["the record of bb:v0"]
        ),
        ("no latest", ["aa:v0 \(aa)", "bb:latest \(bb)", "bb:v0 \(bb)"], ["no latest"]),
      ]
      for (name, crafted, messages) in cases {
        try Crafter.writeRefs(crafted, in: repo)
        let before = Self.store(repo)
        let gc = try await art("gc", "--keep-last", "1", "--grace", "0s", in: repo)
        #expect(gc.status == 2, "\(name): \(gc.standardError)")
        let forced = try await art("gc", "--keep-last", "1", "--grace", "0s", "--force", in: repo)
        #expect(forced.status == 2, "\(name) --force: \(forced.standardError)")
        #expect(Self.store(repo) == before, "\(name)")
        let fsck = try await art("fsck", in: repo)
        #expect(fsck.status == 2, "\(name)")
        for message in messages {
          #expect(
            fsck.standardOutput.contains(message) || fsck.standardError.contains(message),
            "\(name): \(fsck.standardOutput) \(fsck.standardError)")
        }
      }
      // A ref of aa naming bb's record is never checked out as aa.
      try Crafter.writeRefs(
        ["aa:latest \(bb)", "aa:v0 \(bb)", "bb:latest \(bb)", "bb:v0 \(bb)"], in: repo)
      let checkout = try await art("checkout", "aa", "--to", "../out", in: repo)
      #expect(checkout.status == 2, "\(checkout.standardError)")
      #expect(!FileManager.default.fileExists(atPath: folder.appending("out/f").string))
    }
  }

  @Test func swappedIndexNamesAreDamageAndGcDeletesNothing() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, _) = try await setUp(folder)
      for name in ["a", "b"] {
        try writeFile(Array(name.utf8), to: repo.appending("\(name)/f"))
        #expect(try await art("commit", name + name, name, in: repo).status == 0)
      }
      let packs = repo.appending(".art/objects/packs")
      let indexes = try FileManager.default.contentsOfDirectory(atPath: packs.string)
        .filter { $0.hasSuffix(".idx") }.sorted()
      try #require(indexes.count >= 2)
      let (first, second) = (packs.appending(indexes[0]).string, packs.appending(indexes[1]).string)
      try FileManager.default.moveItem(atPath: first, toPath: first + ".swap")
      try FileManager.default.moveItem(atPath: second, toPath: first)
      try FileManager.default.moveItem(atPath: first + ".swap", toPath: second)
      let before = Self.store(repo)
      let gc = try await art("gc", "--keep-last", "1", "--grace", "0s", in: repo)
      #expect(gc.status == 2, "\(gc.standardError)")
      #expect(gc.standardError.contains("not of the pack its name says"))
      _ = try await art("gc", "--keep-last", "1", "--grace", "0s", "--force", in: repo)
      #expect(Self.store(repo) == before)
    }
  }

  @Test(arguments: [
    ["cache", "cleanup", "17179869184GiB"], ["repack", "--max-pack-size", "17179869184GiB"],
    ["log", "--since", "292277026597-01-01"], ["log", "--until", "292277026597-01-01"],
    ["commit", "ds", "d", "--ttl", "9223372036854775807y"],
  ])
  func overflowingNumbersAreUsageErrors(arguments: [String]) async throws {
    try await withTemporaryDirectory { folder in
      let (repo, _) = try await setUp(folder)
      try writeFile(Array("x".utf8), to: repo.appending("d/x"))
      let result = try ArtProcess.run(arguments, in: repo)
      #expect(result.status == 64, "\(arguments): \(result.standardError)")
      #expect(result.standardError.contains("error"))
    }
  }

  @Test func checkoutIntoArtIsRefused() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, _) = try await setUp(folder)
      try writeFile(Array("x".utf8), to: repo.appending("d/x"))
      #expect(try await art("commit", "ds", "d", in: repo).status == 0)
      let before = Self.store(repo)
      let manifest = try await art("show", "ds", "--json", in: repo).standardOutput
      let id = try #require(
        manifest.split(separator: "\"").drop { $0 != "manifest" }.dropFirst(2).first)
      for arguments in [
        ["checkout", "ds", "--to", ".art/x"], ["read-manifest", String(id), ".art/objects/x"],
        ["commit", "ds", "--reference", "/etc/hostname=.art/config"],
        ["commit", "ds", "--reference", "/etc/hostname=sub/.art/refs"],
      ] {
        let result = try ArtProcess.run(arguments, in: repo)
        #expect(result.status == 64, "\(arguments): \(result.standardError)")
      }
      #expect(Self.store(repo) == before)
    }
  }

  @Test func fileReferencesOfOtherRepositoriesNeedAnAllowedFolder() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, sentinel) = try await setUp(folder)
      // The secret and a shared folder holding a link to it.
      try writeFile(Array("secret\n".utf8), to: sentinel.appending("id_rsa"))
      try writeFile(Array("shared\n".utf8), to: folder.appending("shared/data.txt"))
      try FileManager.default.createSymbolicLink(
        atPath: folder.appending("shared/key").string,
        withDestinationPath: sentinel.appending("id_rsa").string)
      let commit = try await art(
        "commit", "ds", "--reference", "\(sentinel.appending("id_rsa"))=secret",
        "--reference", "\(folder.appending("shared/data.txt"))=data.txt",
        "--reference", "\(folder.appending("shared/key"))=key", in: repo)
      #expect(commit.status == 0, "\(commit.standardError)")
      // Made here: read wherever they point.
      #expect(try await art("checkout", "ds", "--to", "../mine", in: repo).status == 0)
      #expect(FileManager.default.fileExists(atPath: folder.appending("mine/secret").string))
      try await pushToRemote(repo)
      let clone = try await art("clone", folder.appending("remote").string, "clone", in: folder)
      #expect(clone.status == 0 || clone.status == 3, "\(clone.standardError)")
      let clonePath = folder.appending("clone")
      let refused = try await art("checkout", "ds", "--to", "../theirs", in: clonePath)
      #expect(refused.status == 3, "\(refused.standardError)")
      #expect(refused.standardError.contains("secret"))
      #expect(refused.standardError.contains("[references] allow"))
      for name in ["secret", "data.txt", "key"] {
        #expect(!FileManager.default.fileExists(atPath: folder.appending("theirs/\(name)").string))
      }
      // Allowing the shared folder lets its file in; the link out of it,
      // and the secret, stay out.
      let config = clonePath.appending(".art/config")
      let text = String(decoding: try #require(try AtomicFile.read(config)), as: UTF8.self)
      try AtomicFile.write(
        Array((text + "[references]\n\tallow = \(folder.appending("shared"))\n").utf8),
        to: config)
      let allowed = try await art("checkout", "ds", "--to", "../theirs2", in: clonePath)
      #expect(allowed.status == 3, "\(allowed.standardError)")
      #expect(allowed.standardError.contains("key"))
      #expect(FileManager.default.fileExists(atPath: folder.appending("theirs2/data.txt").string))
      #expect(!FileManager.default.fileExists(atPath: folder.appending("theirs2/key").string))
      #expect(!FileManager.default.fileExists(atPath: folder.appending("theirs2/secret").string))
      // Carried into a version made here, they are still not this repository's.
      try writeFile(Array("mine\n".utf8), to: clonePath.appending("more.txt"))
      let carry = try await art("commit", "ds", "--from", "ds", "--add", "more.txt", in: clonePath)
      #expect(carry.status == 0, "\(carry.standardError)")
      let carried = try await art(
        "checkout", "ds", "--allow-changed", "--to", "../theirs3", in: clonePath)
      #expect(carried.status == 3, "\(carried.standardError)")
      #expect(!FileManager.default.fileExists(atPath: folder.appending("theirs3/secret").string))
      // verify does not open them either.
      let verify = try await art("verify", "ds", in: clonePath)
      #expect(verify.status == 3, "\(verify.standardOutput)")
      #expect(verify.standardOutput.contains("refused"))
    }
  }

  @Test func aVersionRenumberedByPullIsARecordedMove() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, _) = try await setUp(folder)
      try writeFile(Array("0".utf8), to: repo.appending("d/f"))
      #expect(try await art("commit", "ds", "d", in: repo).status == 0)
      try await pushToRemote(repo)
      #expect(
        try await art("clone", folder.appending("remote").string, "other", in: folder).status == 0)
      let other = folder.appending("other")
      // Both make a v1; the other pushes first.
      try writeFile(Array("mine".utf8), to: repo.appending("d/f"))
      #expect(try await art("commit", "ds", in: repo).status == 0)
      try writeFile(Array("theirs".utf8), to: other.appending("d/f"))
      #expect(try await art("commit", "ds", in: other).status == 0)
      #expect(try await art("push", "origin", in: other).status == 0)
      let pull = try await art("pull", "origin", in: repo)
      #expect(pull.status == 0, "\(pull.standardError)")
      let refs = String(
        decoding: try #require(try AtomicFile.read(repo.appending(".art/refs"))), as: UTF8.self)
      #expect(refs.contains(" from ds:v1\n"), "\(refs)")
      let fsck = try await art("fsck", in: repo)
      #expect(fsck.status == 0, "\(fsck.standardOutput) \(fsck.standardError)")
      let log = try await art("log", "ds", in: repo)
      let numbers = log.lines.map { String($0.prefix { $0 != " " }) }
      #expect(numbers == ["v2", "v1", "v0"], "\(log.standardOutput)")
      let config = String(
        decoding: try #require(try AtomicFile.read(repo.appending(".art/config"))), as: UTF8.self)
      // A renumbering needs format 2 only; packs of format 2 raise a
      // repository to 6.
      #expect(config.contains("format = 6") && config.contains("compression = zstd"))
      let show = try await art("show", "ds:v2", in: repo)
      #expect(show.status == 0 && show.standardOutput.contains("v2"), "\(show.standardOutput)")
      #expect(
        try await art("gc", "--keep-last", "1", "--grace", "0s", "--dry-run", in: repo).status == 0)
    }
  }

  @Test func finishRemoteInAFreshCloneLeavesAWholeVersion() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, _) = try await setUp(folder)
      try writeFile(Array("0".utf8), to: repo.appending("d/f"))
      #expect(try await art("commit", "ds", "d", in: repo).status == 0)
      try await pushToRemote(repo)
      for name in ["worker", "finisher"] {
        #expect(
          try await art("clone", folder.appending("remote").string, name, in: folder).status == 0)
      }
      let worker = folder.appending("worker")
      try writeFile(Array("shard".utf8), to: worker.appending("d/s1/f"))
      let upsert = try await art(
        "upsert", "ds", "--distributed-id", "run1", "d/s1", "--remote", "origin", in: worker)
      #expect(upsert.status == 0, "\(upsert.standardError)")
      let finisher = folder.appending("finisher")
      let finish = try await art(
        "finish", "ds", "--distributed-id", "run1", "--remote", "origin", in: finisher)
      #expect(finish.status == 0, "\(finish.standardError)")
      let fsck = try await art("fsck", in: finisher)
      #expect(fsck.status == 0, "\(fsck.standardOutput)")
      #expect(try await art("show", "ds", in: finisher).status == 0)
      let checkout = try await art("checkout", "ds", "--to", "../out", in: finisher)
      #expect(checkout.status == 0, "\(checkout.standardError)")
      #expect(FileManager.default.fileExists(atPath: folder.appending("out/d/s1/f").string))
    }
  }

  @Test func aDamagedCopyIsPassedOverForAGoodOneInAnotherPack() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, _) = try await setUp(folder)
      let data = [UInt8].random(count: 4096, seed: 7)  // incompressible: stored as is
      try writeFile(data, to: repo.appending("d/f.bin"))
      #expect(try await art("commit", "ds", "d", in: repo).status == 0)
      let packs = repo.appending(".art/objects/packs")
      let first = try #require(
        try FileManager.default.contentsOfDirectory(atPath: packs.string).first {
          $0.hasSuffix(".pack")
        })
      try Crafter.store([(data, .blob)], in: repo)  // a second copy, in a new pack
      // Damage the first copy.
      let path = packs.appending(first).string
      var bytes = try #require(FileManager.default.contents(atPath: path)).map { $0 }
      let at = try #require(
        (0...(bytes.count - 64)).first { bytes[$0..<($0 + 64)].elementsEqual(data[1000..<1064]) })
      bytes[at + 10] ^= 0xFF
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      let checkout = try await art("checkout", "ds", "--to", "../out", in: repo)
      #expect(checkout.status == 0, "\(checkout.standardError)")
      #expect(
        FileManager.default.contents(atPath: folder.appending("out/f.bin").string) == Data(data))
      // fsck still names the damaged copy.
      #expect(try await art("fsck", "--full", in: repo).status == 2)
    }
  }

  @Test func aMissingPackLocksNoOneOut() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, _) = try await setUp(folder)
      let packs = repo.appending(".art/objects/packs")
      func packNames() throws -> Set<String> {
        Set(
          try FileManager.default.contentsOfDirectory(atPath: packs.string).filter {
            $0.hasSuffix(".pack")
          })
      }
      try writeFile(Array("a".utf8), to: repo.appending("a/f"))
      #expect(try await art("commit", "aa", "a", in: repo).status == 0)
      let aaPacks = try packNames()
      try writeFile(Array("b".utf8), to: repo.appending("b/f"))
      #expect(try await art("commit", "bb", "b", in: repo).status == 0)
      for name in aaPacks {
        try FileManager.default.removeItem(atPath: packs.appending(name).string)
      }
      for arguments in [
        ["log"], ["ls"], ["log", "bb"], ["show", "bb"], ["checkout", "bb", "--to", "../out"],
      ] {
        let result = try ArtProcess.run(arguments, in: repo)
        #expect(result.status == 0, "\(arguments): \(result.standardError)")
      }
      #expect(try await art("log", in: repo).standardError.contains("skipped aa"))
      let show = try await art("show", "aa", in: repo)
      #expect(show.status == 2)
      #expect(show.standardError.contains("is missing") && show.standardError.contains("fsck -v"))
      let gc = try await art("gc", "--keep-last", "1", "--grace", "0s", "--force", in: repo)
      // aa's record cannot be read: nothing goes, and gc says why.
      #expect(gc.status == 2, "\(gc.standardError)")
      #expect(
        gc.standardError.contains("the record of aa:v0")
          && gc.standardError.contains("cannot be read"), "\(gc.standardError)")
      #expect(try await art("rm", "aa:v0", "--force", in: repo).status == 0)
      // The pack's index is still there: gc wants --force to drop it.
      #expect(try await art("gc", "--keep-last", "1", "--grace", "0s", in: repo).status == 2)
      let after = try await art("gc", "--keep-last", "1", "--grace", "0s", "--force", in: repo)
      #expect(after.status == 0, "\(after.standardError)")
      #expect(try await art("fsck", in: repo).status == 0)
    }
  }

  @Test func hostileNumbersAndSizesFromARepositoryAreDamageNotCrashes() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, _) = try await setUp(folder)
      try writeFile(Array("a".utf8), to: repo.appending("d/f"))
      #expect(try await art("commit", "ds", "d", in: repo).status == 0)
      let id = try #require(try await art("rev-parse", "ds", in: repo).lines.first)
      // A version number whose successor does not fit.
      try Crafter.writeRefs(
        ["ds:latest \(id)", "ds:v0 \(id)", "ds:v18446744073709551615 deleted"], in: repo)
      for arguments in [["commit", "ds"], ["log"]] {
        let result = try ArtProcess.run(arguments, in: repo)
        #expect(result.status == 2, "\(arguments): \(result.standardError)")
      }
      // Sizes that add up past 2^64.
      let blob = Array("hi\n".utf8)
      let huge = UInt64(Int64.max)
      let manifest = Crafter.manifest(
        (0..<3).map { Crafter.Entry("x\($0)", .file, ObjectHasher.id(of: blob), size: huge) })
      try Crafter.store([(blob, .blob), (manifest, .manifest)], in: repo)
      let record = VersionRecord(
        artifact: "big", type: "dataset", number: 0, root: "big",
        manifest: ObjectHasher.id(of: manifest), files: 3, size: huge, created: 1)
      let ids = try Crafter.store([(record.encoded(), .version)], in: repo)
      try Crafter.writeRefs(
        ["big:latest \(ids[0].hex)", "big:v0 \(ids[0].hex)", "ds:latest \(id)", "ds:v0 \(id)"],
        in: repo)
      for arguments in [
        ["checkout", "big"], ["checkout", "big", "--path", "x*", "--to", "../out"],
        ["checkout", "big", "--to", "../out2"], ["du"], ["du", "--json"], ["log", "big"],
      ] {
        let result = try ArtProcess.run(arguments, in: repo)
        #expect(
          [0, 2].contains(result.status), "\(arguments): \(result.status) \(result.standardError)")
      }
      #expect(try await art("log", "--since", "2024-02-30", in: repo).status == 64)
    }
  }

  @Test func aHostileFolderRemoteCannotHangOrFloodAClone() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, _) = try await setUp(folder)
      try writeFile(Array("a".utf8), to: repo.appending("d/f"))
      #expect(try await art("commit", "ds", "d", in: repo).status == 0)
      try await pushToRemote(repo)
      let refs = folder.appending("remote/refs").string
      try FileManager.default.removeItem(atPath: refs)
      #expect(mkfifo(refs, 0o644) == 0)
      let fifo = try await art("clone", folder.appending("remote").string, "c1", in: folder)
      #expect(fifo.status == 2, "\(fifo.standardError)")
      try FileManager.default.removeItem(atPath: refs)
      try FileManager.default.createSymbolicLink(atPath: refs, withDestinationPath: "/dev/zero")
      let zero = try await art("clone", folder.appending("remote").string, "c2", in: folder)
      #expect(zero.status == 2, "\(zero.standardError)")
    }
  }

  @Test func nothingIsMadeInsideAnArtFolder() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, _) = try await setUp(folder)
      try writeFile(Array("a".utf8), to: repo.appending("d/f"))
      #expect(try await art("commit", "ds", "d", in: repo).status == 0)
      try await pushToRemote(repo)
      try FileManager.default.createSymbolicLink(
        atPath: folder.appending("lnk").string, withDestinationPath: repo.appending(".art").string)
      let before = Self.store(repo)
      let manifest = try #require(
        try await art("show", "ds", "--json", in: repo).standardOutput.split(separator: "\"")
          .drop { $0 != "manifest" }.dropFirst(2).first)
      for arguments in [
        ["checkout", "ds", "--to", folder.appending("lnk/refs.lock").string],
        ["read-manifest", String(manifest), folder.appending("lnk/objects/packs/x.idx").string],
        ["clone", folder.appending("remote").string, repo.appending(".art/state/x").string],
        ["init", folder.appending("lnk/objects/packs").string],
      ] {
        let result = try ArtProcess.run(arguments, in: repo)
        #expect(result.status == 64, "\(arguments): \(result.standardError)")
      }
      #expect(Self.store(repo) == before)
      #expect(!FileManager.default.fileExists(atPath: repo.appending(".art/state/x").string))
    }
  }

  @Test func aHostileRemotesIndexFinishMarkerAndPartsAreDamageNotCrashes() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, _) = try await setUp(folder)
      try writeFile(Array("hi\n".utf8), to: repo.appending("d/f"))
      #expect(try await art("commit", "ds", "d", in: repo).status == 0)
      try await pushToRemote(repo)
      let remote = folder.appending("remote")
      // A finish marker with a blank line, then one with the oldest time.
      let drafts = remote.appending("drafts/ds/d1")
      for marker in [
        "# art-draft-finish v1\n \nstate finishing\nstarted 0\n",
        "# art-draft-finish v1\nstate finishing\nstarted -9223372036854775808\n",
      ] {
        try writeFile(Array(marker.utf8), to: drafts.appending("finish"))
        for arguments in [
          ["upsert", "ds", "--distributed-id", "d1", "d", "--remote", "origin"],
          ["finish", "ds", "--distributed-id", "d1", "--remote", "origin"],
        ] {
          // Taken over or refused, but never a crash.
          let result = try ArtProcess.run(arguments, in: repo)
          #expect(result.status < 128, "\(arguments): \(result.standardError)")
          if result.status != 0 { #expect(result.standardError.hasPrefix("art: error:")) }
        }
      }
      // Parts with extreme numbers and a manifest that is nowhere.
      let missing = String(repeating: "ab", count: 32)
      for (index, created) in ["-9223372036854775808", "1700000000000"].enumerated() {
        try writeFile(
          Array(
            ("# art-draft-part v1\nmanifest \(missing)\nworker e\ncreated \(created)\n"
              + "files 9223372036854775807\nbytes 9223372036854775807\nroot \n").utf8),
          to: remote.appending("drafts/ds/d3/part-\(index)"))
      }
      let finish = try await art(
        "finish", "ds", "--distributed-id", "d3", "--remote", "origin", in: repo)
      #expect([1, 2].contains(finish.status), "\(finish.standardError)")
      #expect(try await art("drafts", in: repo).status == 0)
      #expect([0, 2].contains(try await art("gc", "--dry-run", in: repo).status))
      // An index entry whose offset overflows a read.
      let packs = remote.appending("packs")
      for name in try FileManager.default.contentsOfDirectory(atPath: packs.string)
      where name.hasSuffix(".idx") {
        let path = packs.appending(name).string
        var bytes = try #require(FileManager.default.contents(atPath: path)).map { $0 }
        let count = Int(bytes[16]) | Int(bytes[17]) << 8
        for position in 0..<count {
          let at = 64 + 256 * 4 + count * 32 + position * 32
          withUnsafeBytes(of: (UInt64.max - 100).littleEndian) {
            bytes.replaceSubrange(at..<(at + 8), with: $0)
          }
        }
        let sum = ObjectHasher.id(of: Array(bytes[0..<(bytes.count - 32)]))
        bytes.replaceSubrange((bytes.count - 32)..., with: sum.bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
      }
      let other = folder.appending("other")
      #expect(try await art("init", "other", in: folder).status == 0)
      #expect(try await art("remote", "add", "origin", "../remote", in: other).status == 0)
      for arguments in [["checkout", "origin/ds", "--to", "../o1"], ["log", "origin/ds"]] {
        let result = try ArtProcess.run(arguments, in: other)
        #expect(result.status == 2, "\(arguments): \(result.standardError)")
      }
      let clone = try await art("clone", remote.string, "c", in: folder)
      if clone.status == 0 {
        let checkout = try await art("checkout", "ds", "--to", "../o2", in: folder.appending("c"))
        #expect(checkout.status == 2, "\(checkout.standardError)")
      } else {
        #expect(clone.status == 2, "\(clone.standardError)")
      }
    }
  }

  @Test func refsMovesStayInsideOneArtifactAndNumbersStopAt2To53() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, _) = try await setUp(folder)
      try writeFile(Array("a".utf8), to: repo.appending("d/f"))
      try writeFile(Array("b".utf8), to: repo.appending("e/f"))
      #expect(try await art("commit", "ds", "d", in: repo).status == 0)
      #expect(try await art("commit", "other", "e", in: repo).status == 0)
      let ds = try #require(try await art("rev-parse", "ds", in: repo).lines.first)
      let other = try #require(try await art("rev-parse", "other", in: repo).lines.first)
      try Crafter.writeRefs(
        [
          "ds:latest \(other)", "ds:v1 \(other) from other:v0", "other:latest \(other)",
          "other:v0 \(other)",
        ], in: repo)
      #expect(try await art("checkout", "ds", "--to", "../o", in: repo).status == 2)
      try Crafter.writeRefs(
        [
          "ds:latest \(ds)", "ds:v9007199254740992 \(ds) from ds:v0", "other:latest \(other)",
          "other:v0 \(other)",
        ], in: repo)
      try writeFile(Array("c".utf8), to: repo.appending("d/g"))
      let commit = try await art("commit", "ds", in: repo)
      #expect(commit.status == 64, "\(commit.standardError)")
      #expect(commit.standardError.contains("used up"))
      // A record that expires at the oldest time does not stop gc.
      var record = VersionRecord(
        artifact: "old", type: "dataset", number: 0, root: "d",
        manifest: Manifest.emptyID, files: 0, created: Int64.min, expires: Int64.min)
      record.description = "crafted"
      let ids = try Crafter.store(
        [(Crafter.manifest([]), .manifest), (record.encoded(), .version)], in: repo)
      try Crafter.writeRefs(
        [
          "old:latest \(ids[1].hex)", "old:v0 \(ids[1].hex)", "other:latest \(other)",
          "other:v0 \(other)",
        ], in: repo)
      let gc = try await art("gc", "--dry-run", "--keep-within", "1d", in: repo)
      #expect(gc.status == 0, "\(gc.standardError)")
    }
  }

  @Test func aLinkedArtFolderIsNoDestinationEither() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, _) = try await setUp(folder)
      try writeFile(Array("a".utf8), to: repo.appending("d/f"))
      #expect(try await art("commit", "ds", "d", in: repo).status == 0)
      // The store lives elsewhere under another name; .art is a link to it.
      try FileManager.default.moveItem(
        atPath: repo.appending(".art").string, toPath: folder.appending("store").string)
      try FileManager.default.createSymbolicLink(
        atPath: repo.appending(".art").string, withDestinationPath: folder.appending("store").string
      )
      let result = try await art("checkout", "ds", "--to", "../store/state/x", in: repo)
      #expect(result.status == 64, "\(result.standardError)")
      #expect(!FileManager.default.fileExists(atPath: folder.appending("store/state/x").string))
      #expect(try await art("checkout", "ds", "--to", "../out", in: repo).status == 0)
    }
  }

  @Test func aTowerOfFoldersIsDamageNotACrash() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, _) = try await setUp(folder)
      let blob = Array("f\n".utf8)
      var objects: [([UInt8], ObjectKind)] = [(blob, .blob)]
      var top = Crafter.manifest([Crafter.Entry("f", .file, ObjectHasher.id(of: blob), size: 2)])
      objects.append((top, .manifest))
      for _ in 0..<3000 {
        top = Crafter.manifest([Crafter.Entry("a", .folder, ObjectHasher.id(of: top), size: 2)])
        objects.append((top, .manifest))
      }
      try Crafter.store(objects, in: repo)
      try craftVersion(
        "deep", root: "data",
        entries: [Crafter.Entry("a", .folder, ObjectHasher.id(of: top), size: 2)], in: repo)
      try FileManager.default.createDirectory(
        atPath: repo.appending("data").string, withIntermediateDirectories: true)
      for arguments in [
        ["show", "deep"], ["fsck"], ["gc", "--dry-run"], ["status", "deep"], ["diff", "deep"],
        ["verify", "deep"], ["checkout", "deep", "--to", "../out"], ["checkout", "deep"],
      ] {
        let result = try ArtProcess.run(arguments, in: repo)
        #expect(
          [0, 2].contains(result.status), "\(arguments): \(result.status) \(result.standardError)")
      }
      #expect(try await art("fsck", in: repo).status == 2)
    }
  }

  @Test func inconsistentRemoteRefsAreNeitherPulledNorCollected() async throws {
    try await withTemporaryDirectory { folder in
      let (repo, _) = try await setUp(folder)
      try writeFile(Array("a".utf8), to: repo.appending("d/f"))
      #expect(try await art("commit", "ds", "d", in: repo).status == 0)
      try writeFile(Array("b".utf8), to: repo.appending("d/f"))
      #expect(try await art("commit", "ds", in: repo).status == 0)
      try await pushToRemote(repo)
      #expect(
        try await art("clone", folder.appending("remote").string, "c", in: folder).status == 0)
      let v0 = try #require(try await art("rev-parse", "ds:v0", in: repo).lines.first)
      let v1 = try #require(try await art("rev-parse", "ds:v1", in: repo).lines.first)
      let remoteRefs = folder.appending("remote/refs")
      let clone = folder.appending("c")
      let localRefs = try #require(try AtomicFile.read(clone.appending(".art/refs")))
      // v0 renumbered to v5 with no move recorded: its record says v0.
      try AtomicFile.write(
        Crafter.refs([
          "ds:best \(v1)", "ds:latest \(v0)", "ds:v0 deleted", "ds:v1 \(v1)", "ds:v5 \(v0)",
        ]),
        to: remoteRefs)
      let pull = try await art("pull", "origin", in: clone)
      #expect(pull.status == 2, "\(pull.standardError)")
      #expect(try AtomicFile.read(clone.appending(".art/refs")) == localRefs)
      // An alias on a deleted version: neither pulled nor a reason to delete.
      try AtomicFile.write(
        Crafter.refs(["ds:best \(v0)", "ds:latest \(v1)", "ds:v0 deleted", "ds:v1 \(v1)"]),
        to: remoteRefs)
      #expect(try await art("pull", "origin", in: clone).status == 2)
      let packs = Self.snapshot(folder.appending("remote/packs"))
      let gc = try await art("gc", "--remote", "origin", "--grace", "0s", in: repo)
      #expect(gc.status == 2, "\(gc.standardError)")
      #expect(Self.snapshot(folder.appending("remote/packs")) == packs)
    }
  }
}
