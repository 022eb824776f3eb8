import ArtStore
import ArtTestSupport
import SystemPackage
import Testing

@testable import ArtCore

@Suite("Manifest")
struct ManifestTests {
  let id = ObjectHasher.id(of: Array("x".utf8))

  func entry(_ name: String, _ kind: ManifestEntry.Kind = .file) -> ManifestEntry {
    ManifestEntry(name: name, kind: kind, id: id, size: 1, mode: 0o644)
  }

  @Test func sortsByNameBytesAndRoundTrips() throws {
    let manifest = try Manifest(entries: [
      entry("b"), entry("É"), entry("a b"), entry("B", .folder),
    ])
    #expect(manifest.entries.map(\.name) == ["B", "a b", "b", "É"])
    let decoded = try Manifest(decoding: manifest.encoded(), id: id)
    #expect(decoded == manifest)
  }

  /// The sort compares 8-byte prefixes first: names that share one, are
  /// shorter than it, are prefixes of each other or hold bytes past 0x7F
  /// must still come out in byte order, as a plain sort puts them.
  @Test func sortsNamesSharingLongPrefixesInByteOrder() throws {
    var generator = SplitMix64(seed: 19)
    let alphabet = ["a", "b", "é", "z", "0", "~", "\u{1F600}"]
    var names = Set(["abcdefgh", "abcdefghi", "abcdefgh0", "abcdefg", "a", "ab", "abcdefgé"])
    while names.count < 400 {
      let length = Int.random(in: 1...12, using: &generator)
      names.insert(
        "abcdef" + (0..<length).map { _ in alphabet.randomElement(using: &generator)! }.joined())
    }
    let manifest = try Manifest(entries: names.map { entry($0) })
    let expected = names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    #expect(manifest.entries.map(\.name) == expected)
    #expect(throws: ArtError.self) {
      try Manifest(entries: [entry("abcdefghij"), entry("abcdefgh"), entry("abcdefghij", .folder)])
    }
  }

  @Test func findsEntriesByNameAndUpdatesModesOfTheSameNames() throws {
    let old = try Manifest(entries: [entry("abcdefgh1"), entry("b"), entry("é"), entry("zz")])
    var new = try Manifest(entries: [
      entry("abcdefgh1"), entry("abcdefgh2"), entry("é"), entry("y"),
    ])
    #expect(old.entry(named: "é")?.name == "é")
    #expect(old.entry(named: "abcdefgh1")?.name == "abcdefgh1")
    #expect(old.entry(named: "abcdefgh") == nil)
    #expect(old.entry(named: "e\u{301}") == nil)  // decomposed: other bytes
    var pairs: [String] = []
    new.updateModes(matching: old) { new, old in
      pairs.append(new.name + "=" + old.name)
      return 0o600
    }
    #expect(pairs == ["abcdefgh1=abcdefgh1", "é=é"])
    #expect(new.entries.map(\.mode) == [0o600, 0o644, 0o644, 0o600])
  }

  @Test func pathsEqualByTheirBytes() {
    #expect(TreePath("a/é") == TreePath("a/é"))
    #expect(TreePath("a/é") != TreePath("a/e\u{301}"))
    #expect(TreePath("ab") != TreePath("abc"))
    #expect(Set([TreePath("é"), TreePath("e\u{301}")]).count == 2)
  }

  @Test func equalFoldersEncodeEqually() throws {
    let one = try Manifest(entries: [entry("a"), entry("b")])
    let two = try Manifest(entries: [entry("b"), entry("a")])
    #expect(one.encoded() == two.encoded())
  }

  @Test(arguments: ["", ".", "..", "a/b", "a\nb", "a\u{0}b"])
  func rejectsUnsafeNames(name: String) {
    #expect(throws: ArtError.self) { try Manifest(entries: [entry(name)]) }
  }

  @Test func rejectsDuplicateNames() {
    #expect(throws: ArtError.self) { try Manifest(entries: [entry("a"), entry("a", .folder)]) }
  }

  @Test func decodingRejectsDamage() throws {
    let bytes = try Manifest(entries: [entry("a"), entry("b")]).encoded()
    // Truncated, a bad kind, a name escaping the folder, unsorted names.
    var badKind = bytes
    badKind[16] = 9
    var slash = bytes
    slash[16 + 48] = UInt8(ascii: "/")
    var unsorted = bytes
    unsorted[16 + 48 + 1 + 48] = UInt8(ascii: "a")
    for damaged in [Array(bytes.dropLast()), badKind, slash, unsorted] {
      let error = #expect(throws: ArtError.self) { try Manifest(decoding: damaged, id: id) }
      #expect(error?.code == .corruptData)
    }
  }
}

@Suite("VersionRecord")
struct VersionRecordTests {
  @Test func roundTripsEveryField() throws {
    let id = ObjectHasher.id(of: [1])
    let record = VersionRecord(
      artifact: "imagenet_train", type: "dataset", number: 3, root: "data/imagenet",
      manifest: id, files: 12, size: 34_000, previous: ObjectHasher.id(of: [2]),
      description: "third cut",
      metadata: #"{"rows":1200}"#, created: 1_790_000_000_000, inputs: [id], job: "preprocess",
      expires: 1_800_000_000_000, distributedID: "run-7")
    let bytes = record.encoded()
    #expect(try VersionRecord(decoding: bytes, id: id) == record)
    #expect(record.encoded() == bytes)
    #expect(throws: ArtError.self) { try VersionRecord(decoding: Array(bytes.dropLast()), id: id) }

    // A run switches to layout 2 and appends it; without one the bytes
    // (and so every existing id) stay layout 1.
    #expect(bytes[4] == 1)
    var withRun = record
    withRun.run = "wandb-3f9a2c"
    let runBytes = withRun.encoded()
    #expect(runBytes[4] == 2)
    #expect(Array(runBytes.prefix(bytes.count)) == [UInt8](bytes.prefix(4)) + [2] + bytes[5...])
    #expect(try VersionRecord(decoding: runBytes, id: id) == withRun)
    var newer = runBytes
    newer[4] = 4
    #expect(throws: ArtError.self) { try VersionRecord(decoding: newer, id: id) }

    // References switch to layout 3: the run (maybe empty), then count and bytes.
    var withReferences = record
    withReferences.referenceCount = 2
    withReferences.referenceBytes = 9_000
    let referenceBytes = withReferences.encoded()
    #expect(referenceBytes[4] == 3)
    #expect(referenceBytes.count == bytes.count + 4 + 16)
    #expect(try VersionRecord(decoding: referenceBytes, id: id) == withReferences)
    var noReferences = referenceBytes
    noReferences.replaceSubrange(
      (noReferences.count - 16)..., with: [UInt8](repeating: 0, count: 16))
    #expect(throws: ArtError.self) { try VersionRecord(decoding: noReferences, id: id) }
    var emptyRun = bytes
    emptyRun[4] = 2
    emptyRun += [0, 0, 0, 0]
    #expect(throws: ArtError.self) { try VersionRecord(decoding: emptyRun, id: id) }
  }
}

@Suite("Reference entries")
struct ReferenceFormatTests {
  @Test func referenceObjectsRoundTrip() throws {
    let id = ObjectHasher.id(of: [7])
    for reference in [
      Reference(uri: "file:///data/a.bin", size: 12, sha256: id),
      Reference(
        uri: "https://example.com/w.bin", size: 1 << 33, sha256: nil, etag: "\"abc\"",
        lastModified: "Wed, 21 Oct 2026 07:28:00 GMT"),
    ] {
      let bytes = reference.encoded()
      #expect(Array(bytes.prefix(5)) == Array("ARTR".utf8) + [1])
      #expect(try Reference(decoding: bytes, id: id) == reference)
      #expect(throws: ArtError.self) { try Reference(decoding: bytes + [0], id: id) }
    }
    let ftp = Reference(uri: "ftp://host/x", size: 1, sha256: nil)
    #expect(throws: ArtError.self) { try Reference(decoding: ftp.encoded(), id: id) }
  }

  @Test func referenceArgumentsParse() throws {
    let here = FilePath("/work/project")
    var request = try ReferenceRequest(parsing: "/data/images", workingDirectory: here)
    #expect(request.uri == "file:///data/images")
    #expect(request.path == ["images"])
    request = try ReferenceRequest(parsing: "../shared/x.csv=tables/x.csv", workingDirectory: here)
    #expect(request.uri == "file:///work/shared/x.csv")
    #expect(request.path == ["tables", "x.csv"])
    request = try ReferenceRequest(
      parsing: "https://host/a/w.bin?v=2", workingDirectory: here)
    #expect(request.uri == "https://host/a/w.bin?v=2")
    #expect(request.path == ["w.bin"])
    request = try ReferenceRequest(
      parsing: "https://host/a/w.bin?v=2=model/w.bin", workingDirectory: here)
    #expect(request.uri == "https://host/a/w.bin?v=2")
    #expect(request.path == ["model", "w.bin"])
    for bad in ["ftp://host/x", "https://", "https://host/", "/data/x=../up", "file://relative"] {
      #expect(throws: ArtError.self, "\(bad)") {
        try ReferenceRequest(parsing: bad, workingDirectory: here)
      }
    }
  }
}

@Suite("Configuration")
struct ConfigurationTests {
  @Test func roundTripsItsText() throws {
    var config = Configuration()
    config.compression = .zlib
    #expect(try Configuration(parsing: config.text, file: "config") == config)
  }

  /// A misspelled setting is refused, naming the line and the likely key.
  ///
  /// That is a key art does not know in one of its own sections, or a
  /// section a typo away from one of them; other sections are left alone.
  /// A config with no chunk sizes is read, and fsck is told.
  @Test func misspelledSettingsAreRefusedNotIgnored() throws {
    let header = "[core]\nformat = 2\n[chunking]\nmin = 65536\navg = 262144\nmax = 1048576\n"
    let key = #expect(throws: ArtError.self) {
      try Configuration(parsing: header + "[gc]\nkeeplast = 1\n", file: "c")
    }
    #expect(
      key?.message.hasPrefix(
        "'c' line 8: unknown setting 'keeplast' in [gc]; did you mean "
          + "'keepLast'?") == true, "\(key?.message ?? "")")
    let typed = #expect(throws: ArtError.self) {
      try Configuration(parsing: header + "[gc \"model\"]\nkeep-last = 1\n", file: "c")
    }
    #expect(typed?.message.contains("did you mean 'keepLast'") == true)
    let section = #expect(throws: ArtError.self) {
      try Configuration(parsing: header + "[gcc]\nkeepLast = 1\n", file: "c")
    }
    #expect(section?.message.contains("unknown section [gcc]; did you mean [gc]?") == true)
    let other = try Configuration(parsing: header + "[ui]\ntheme = dark\n", file: "c")
    #expect(other.problem == nil && other.chunking == .default)
    #expect(
      try Configuration(parsing: header + "[gc \"model\"]\nkeepLast = 2\n", file: "c")
        .gc.policyByType["model"]?.keepLast == 2)
    let sizeless = try Configuration(parsing: "[core]\nformat = 2\n", file: "c")
    #expect(sizeless.problem?.contains("names no [chunking] min, avg, max") == true)
    let partial = try Configuration(
      parsing: "[core]\nformat = 2\n[chunking]\navg = 65536\nmax = 262144\n", file: "c")
    #expect(partial.problem?.contains("names no [chunking] min;") == true)
  }

  @Test func malformedLinesNameTheLine() throws {
    let error = #expect(throws: ArtError.self) {
      try Configuration(parsing: "[core]\n  compression = fast\n", file: "config")
    }
    #expect(error?.message.contains("line 2") == true)
    #expect(throws: ArtError.self) { try Configuration(parsing: "[core\n", file: "config") }
    #expect(throws: ArtError.self) { try Configuration(parsing: "key = 1\n", file: "config") }
    #expect(throws: ArtError.self) {
      try Configuration(parsing: "[chunking]\nmin = -4\n", file: "c")
    }
    // Sizes that do not fit together name the file and the first size line.
    let sizes = #expect(throws: ArtError.self) {
      try Configuration(parsing: "[core]\nformat = 2\n[chunking]\navg = 300000\n", file: "c")
    }
    #expect(sizes?.message.hasPrefix("'c' line 4: chunk sizes 16384/300000/262144") == true)
    let tooLarge = #expect(throws: ArtError.self) {
      try Configuration(
        parsing: "[chunking]\nmin = 65536\navg = 262144\nmax = 1073741824\n", file: "c")
    }
    #expect(tooLarge?.message.hasPrefix("'c' line 4: ") == true, "\(tooLarge?.message ?? "")")
    // A config naming no sizes is read with the ones art began with.
    #expect(try Configuration(parsing: "[core]\nformat = 2\n", file: "c").chunking == .original)
    #expect(Configuration().chunking == .default)
    let projects = try Configuration(
      parsing: "[project \"vision\"]\n\tpath = /data/vision\n", file: "c")
    #expect(projects.projects["vision"] == FilePath("/data/vision"))
    #expect(throws: ArtError.self) {
      try Configuration(parsing: "[project \"vision\"]\npath = data/vision\n", file: "c")
    }
    #expect(throws: ArtError.self) {
      try Configuration(parsing: "[project \"a/b\"]\npath = /x\n", file: "c")
    }
  }

  @Test func refusesNewerFormat() throws {
    let error = #expect(throws: ArtError.self) {
      try Configuration(parsing: "[core]\nformat = 7\n", file: "config")
    }
    #expect(error?.code == .unsupportedFormat)
    #expect(try Configuration(parsing: "[core]\nformat = 1\n", file: "config").format == 1)
    #expect(try Configuration(parsing: "[core]\nformat = 6\n", file: "config").format == 6)
    // No format line: an emptied config, read as the oldest format and reported.
    let empty = try Configuration(parsing: "", file: "config")
    #expect(empty.format == 1 && empty.problem != nil)
  }
}
