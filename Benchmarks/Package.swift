// swift-tools-version: 6.1
import PackageDescription

// The benchmarks live in their own package so that building and testing mts-relay does not
// build ordo-one/benchmark. Run them from this folder:
//   swift package --package-path Benchmarks benchmark
let package = Package(
    name: "MTSRelayBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "MTSRelay", path: ".."),
        // No traits: the default ones interpose malloc (a size header on every allocation) and,
        // on Linux with Swift 6.3, swift_retain/release, to count them. These benchmarks record
        // only wall clock and resident memory, which the interposers would inflate.
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: []),
    ],
    targets: [
        .executableTarget(
            name: "ProtocolBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MTSProtocol", package: "MTSRelay"),
            ],
            path: "Benchmarks/ProtocolBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "CorrelationBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MTSCorrelation", package: "MTSRelay"),
            ],
            path: "Benchmarks/CorrelationBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
