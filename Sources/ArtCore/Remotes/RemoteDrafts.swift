import ArtRemote
import ArtStore

/// Distributed drafts across machines: workers on different clones
/// `upsert --remote` their parts to the remote; `finish --remote` on any
/// clone merges them and commits the version there.
///
/// On the remote, draft `ID` of artifact `NAME` is `drafts/NAME/ID/`:
/// one `part-…` file per worker (the local part format), and a `finish`
/// marker. `finish` first creates the marker (`state finishing`) with
/// `If-None-Match`, so only one machine finishes, then lists the parts,
/// and at the end rewrites it (`state finished`, the version, the parts
/// it took). An upsert writes its part, then reads the marker: none means
/// the finish has not listed the parts yet, so the part will be in it;
/// a `finished` marker must name the part, or the upsert fails.
extension Remote {
  struct FinishMarker {
    var finished: Bool
    var started: Int64
    var version: String
    var parts: [String]

    static let header = "# art-draft-finish v1"

    var bytes: [UInt8] {
      Array(
        ("\(Self.header)\nstate \(finished ? "finished" : "finishing")\nstarted \(started)\n"
          + "version \(version)\nparts \(parts.joined(separator: " "))\n").utf8)
    }

    init(finished: Bool, started: Int64, version: String, parts: [String]) {
      self.finished = finished
      self.started = started
      self.version = version
      self.parts = parts
    }

    init(_ bytes: [UInt8], source: String) throws {
      var fields: [String: String] = [:]
      let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
      for line in lines.dropFirst() {
        let parts = line.split(separator: " ", maxSplits: 1)
        guard let key = parts.first else { continue }
        fields[String(key)] = parts.count > 1 ? String(parts[1]) : ""
      }
      guard lines.first == Substring(Self.header), let state = fields["state"],
        let started = fields["started"].flatMap({ Int64($0) })
      else {
        throw ArtError(
          .corruptData, "\(source) is damaged", hint: "delete it to let 'art finish' run again")
      }
      finished = state == "finished"
      self.started = started
      version = fields["version"] ?? ""
      parts = (fields["parts"] ?? "").split(separator: " ").map(String.init)
    }
  }

  private func draftPrefix(_ artifact: ArtifactName, _ id: String) -> String {
    "drafts/\(artifact.text)/\(id)/"
  }

  private func marker(_ artifact: ArtifactName, _ id: String) async throws -> (
    FinishMarker, String
  )? {
    let key = draftPrefix(artifact, id) + "finish"
    guard let (bytes, tag) = try await storage.read(key) else { return nil }
    return (try FinishMarker(bytes, source: "\(storage.location)/\(key)"), tag)
  }

  private func finishedError(_ artifact: ArtifactName, _ id: String, _ version: String) -> ArtError
  {
    ArtError(
      .invalidArgument,
      "draft '\(artifact)' '\(id)' was finished as \(version) on \(name)",
      hint: "use a new --distributed-id for a new version")
  }

  /// Uploads `part` (upserted here) and what it needs to the remote.
  ///
  /// - Throws: ``ArtError`` `.invalidArgument` when the draft was finished
  ///   on the remote without this part, or the storage's errors.
  public func upsert(
    _ part: DraftPart, artifact: ArtifactName, id: String, progress: Progress?
  ) async throws -> PushResult {
    if let (marker, _) = try await marker(artifact, id), marker.finished {
      throw finishedError(artifact, id, marker.version)
    }
    let result = try await upload(versions: [], trees: [part.manifest], progress: progress)
    try await storage.write(
      draftPrefix(artifact, id) + part.name, DistributedDraft.encode(part), condition: .absent)
    // A finish that had started listing may or may not have seen the part.
    let deadline = ContinuousClock.now + .seconds(120)
    while let (marker, _) = try await marker(artifact, id) {
      if marker.finished {
        if marker.parts.contains(part.name) { return result }
        throw finishedError(artifact, id, marker.version)
      }
      // A finish that died (or a marker that says so) is taken over by the
      // next finish, which will list this part: nothing to wait for.
      if WallClock.milliseconds().subtractingSaturating(marker.started) > 120_000 {
        return result
      }
      guard ContinuousClock.now < deadline else {
        throw ArtError(
          .locked,
          "draft '\(artifact)' '\(id)' is being finished on \(name); this part may be in it",
          hint: "check with 'art log \(name)/\(artifact)' once it is done")
      }
      try await Task.sleep(for: .milliseconds(300))
    }
    return result
  }

  /// What `finish --remote` made.
  public struct RemoteFinish: Sendable {
    /// The version as committed here (before any renumbering).
    public var commit: CommitResult
    /// `name:vN` on the remote.
    public var label: String
    /// Parts merged.
    public var parts: Int
    /// The push of the version.
    public var push: PushResult
  }

  /// Merges every part upserted to the remote under `id` into the next
  /// version of the request's artifact, commits it here and on the remote.
  ///
  /// - Throws: ``ArtError`` when the draft was finished or is being
  ///   finished elsewhere, has no parts, or parts conflict.
  public func finish(request: CommitRequest, id: String, refStore: RefStore) async throws
    -> RemoteFinish
  {
    try DistributedDraft.validate(id)
    let artifact = request.artifact
    let key = draftPrefix(artifact, id) + "finish"
    let claim = FinishMarker(
      finished: false, started: WallClock.milliseconds(), version: "", parts: [])
    do {
      try await storage.write(key, claim.bytes, condition: .absent)
    } catch let error as ArtError where error.code == .locked {
      guard let (marker, tag) = try await marker(artifact, id) else { throw error }
      if marker.finished { throw finishedError(artifact, id, marker.version) }
      // A finish that died more than two minutes ago may be taken over.
      guard WallClock.milliseconds().subtractingSaturating(marker.started) > 120_000
      else {
        throw ArtError(
          .locked, "draft '\(artifact)' '\(id)' is being finished on another machine",
          hint: "wait for it; a finish that died is taken over after two minutes")
      }
      try await storage.write(key, claim.bytes, condition: .matches(tag))
    }
    let finished: RemoteFinish
    var parts: [DraftPart] = []
    do {
      for entry in try await storage.list(draftPrefix(artifact, id)) {
        let name = String(entry.key.split(separator: "/").last ?? "")
        guard name.hasPrefix("part-"), let (bytes, _) = try await storage.read(entry.key) else {
          continue
        }
        let part = try DistributedDraft.decode(
          bytes, name: name, source: "\(storage.location)/\(entry.key)")
        try DistributedDraft.write(part, repository, artifact, id)
        parts.append(part)
      }
      try await fetchManifests(parts.map(\.manifest))
      let commit = try await DistributedDraft.finish(
        repository, refStore: refStore, request: request, id: id)
      let push = try await self.push(
        artifacts: [artifact], progress: nil, appending: [commit.version.id], refStore: refStore)
      let number =
        push.changes.renumbered.first { $0.id == commit.version.id }?.there
        ?? commit.version.number
      let label = "\(artifact):\(number)"
      let done = FinishMarker(
        finished: true, started: claim.started, version: label, parts: parts.map(\.name))
      try await storage.write(key, done.bytes, condition: nil)
      for part in parts {
        try? await storage.delete(draftPrefix(artifact, id) + part.name)
      }
      finished = RemoteFinish(commit: commit, label: label, parts: parts.count, push: push)
    } catch {
      try? await storage.delete(key)
      // The remote's parts copied here go too: another machine's part that
      // failed to merge must not linger in this repository's drafts.
      for part in parts { DistributedDraft.removePart(part, repository, artifact, id) }
      throw error
    }
    // The workers uploaded the files, not this machine: bring them here, so
    // the version this repository's refs now name is whole (fsck, show and
    // checkout need it). The finish itself stands if this fails.
    do {
      _ = try await fetch(
        version: finished.commit.version.id, patterns: [], data: true, progress: nil)
    } catch let error as ArtError {
      throw ArtError(
        error.code,
        "\(finished.label) was finished on \(name), but its files could not be fetched here: "
          + error.message, hint: "run 'art fetch \(name)'", underlying: error)
    }
    return finished
  }
}
