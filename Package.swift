// swift-tools-version: 6.2
import PackageDescription

let argumentParser: Target.Dependency = .product(
  name: "ArgumentParser", package: "swift-argument-parser")
let systemPackage: Target.Dependency = .product(name: "SystemPackage", package: "swift-system")
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
let httpClient: Target.Dependency = .product(
  name: "AsyncHTTPClient", package: "async-http-client")
let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")

// Swift 6 language mode (from the tools version) checks concurrency completely;
// these make imports and existentials explicit too, and any warning fails the
// build, here as in CI, so a warning never first shows up on a clean clone.
let swiftSettings: [SwiftSetting] =
  [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .treatAllWarnings(as: .error),
  ]

let package = Package(
  name: "art",
  products: [
    .executable(name: "art", targets: ["art"]),
    .library(name: "ArtCore", targets: ["ArtCore"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    // `art ui`: the local web interface. Its default traits pull in
    // swift-configuration and full Foundation, which art does not use.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
  ],
  targets: [
    // System C libraries: Debian packages zlib1g-dev, liblz4-dev and libzstd-dev.
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
    .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
    // CRC-32 with PCLMULQDQ: three times zlib's on every pack record.
    .systemLibrary(
      name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
    // Linux flags Swift's Glibc module leaves out (O_DIRECT).
    .target(name: "CArtSystem"),
    // SHA-256 blocks on SHA-NI, two streams interleaved (PairedSHA256).
    .target(name: "CArtHash"),

    // Bytes -> chunks -> content-addressed objects -> packs + indexes.
    // Knows nothing of working folders, versions or refs.
    .target(
      name: "ArtStore",
      dependencies: [
        "CZlib", "CLZ4", "CZstd", "CDeflate", "CArtSystem", "CArtHash", systemPackage, crypto,
      ],
      swiftSettings: swiftSettings),
    // Bytes over the network: HTTP(S) downloads (reference entries), AWS
    // Signature Version 4. Knows nothing of versions.
    .target(
      name: "ArtRemote",
      dependencies: ["ArtStore", systemPackage, crypto, httpClient],
      swiftSettings: swiftSettings),
    // Working folder -> manifests -> versions -> refs.
    .target(
      name: "ArtCore",
      dependencies: ["ArtStore", "ArtRemote", systemPackage],
      swiftSettings: swiftSettings),
    // Versions -> HTML pages, served on loopback (`art ui`) or written as
    // a static site (`art ui --export`).
    .target(
      name: "ArtUI",
      dependencies: [
        "ArtCore", "ArtStore", systemPackage, crypto, hummingbird,
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
      ],
      swiftSettings: swiftSettings),
    // Arguments -> ArtCore calls -> text or JSON and an exit status.
    .target(
      name: "ArtCLI",
      dependencies: ["ArtCore", "ArtStore", "ArtRemote", "ArtUI", systemPackage, argumentParser],
      swiftSettings: swiftSettings),
    // `@main` and nothing else.
    .executableTarget(
      name: "art",
      dependencies: ["ArtCLI", argumentParser],
      swiftSettings: swiftSettings),

    .target(
      name: "ArtTestSupport",
      dependencies: ["ArtCore", "ArtStore", systemPackage],
      path: "Tests/ArtTestSupport",
      swiftSettings: swiftSettings),
    .testTarget(
      name: "ArtStoreTests",
      dependencies: ["ArtStore", "ArtTestSupport", "CZlib", "CArtHash"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "ArtCoreTests",
      dependencies: ["ArtCore", "ArtRemote", "ArtTestSupport"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "ArtRemoteTests",
      dependencies: ["ArtRemote", "ArtTestSupport"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "ArtUITests",
      dependencies: ["ArtUI", "ArtCore", "ArtTestSupport"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "ArtCLITests",
      dependencies: ["ArtCLI", "ArtTestSupport", "ArtUI"],
      swiftSettings: swiftSettings),
  ]
)
