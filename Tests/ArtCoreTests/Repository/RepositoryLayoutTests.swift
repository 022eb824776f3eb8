import ArtStore
import ArtTestSupport
import SystemPackage
import Testing

@testable import ArtCore

/// The one place that names the files of `.art`, and the one clock.
@Suite("Repository layout and clock")
struct RepositoryLayoutTests {
  @Test func theLayoutNamesWhatFormatMdDescribes() {
    let layout = RepositoryLayout(FilePath("/r/.art"))
    #expect(layout.config == "/r/.art/config")
    #expect(layout.refs == "/r/.art/refs")
    #expect(layout.packs == "/r/.art/objects/packs")
    #expect(layout.statCache == "/r/.art/state/stat-cache")
    #expect(layout.checkedOut == "/r/.art/state/checkout")
    #expect(layout.artifactBase("ds") == "/r/.art/bases/artifact/ds")
    #expect(layout.folderBase("ab") == "/r/.art/bases/folder/ab")
    #expect(layout.folderLock("ab") == "/r/.art/state/locks/ab")
    #expect(layout.imports == "/r/.art/imports")
    #expect(layout.recorded == "/r/.art/recorded")
    #expect(layout.expiryOverrides == "/r/.art/ttl")
    #expect(layout.remote("origin") == "/r/.art/remotes/origin")
    #expect(layout.scratch("push").string.hasPrefix("/r/.art/tmp-push-"))
  }

  @Test func initMakesWhatTheLayoutNames() async throws {
    try await withTemporaryDirectory { folder in
      try Repository.initialize(at: folder)
      let layout = try Repository(root: folder).layout
      for path in [layout.config, layout.refs, layout.packs, layout.state] {
        #expect(try Syscalls.linkStatus(path) != nil, "\(path)")
      }
    }
  }

  @Test func aTestMovesTheClockForItsTaskOnly() async {
    let now = WallClock.milliseconds()
    let later = WallClock.$offset.withValue(86_400_000) { WallClock.milliseconds() }
    #expect(later - now >= 86_400_000)
    #expect(later - now < 86_400_000 + 60_000)
    #expect(WallClock.milliseconds() - now < 60_000)
    #expect(WallClock.$offset.withValue(.max) { WallClock.milliseconds() } == .max)
  }
}
