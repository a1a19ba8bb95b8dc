// swift-tools-version: 6.1
import PackageDescription

/// Every target is built in the Swift 6 language mode, which turns on complete strict
/// concurrency checking; warnings are not tolerated (CI builds with -warnings-as-errors).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "MTSRelay",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mts-relay", targets: ["MTSRelayCommand"]),
        .executable(name: "mts-sim", targets: ["MTSSim"]),
        .library(name: "AMQPClient", targets: ["AMQPClient"]),
        .library(name: "MTSProtocol", targets: ["MTSProtocol"]),
        .library(name: "MTSCorrelation", targets: ["MTSCorrelation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // MARK: C shims

        /// Debian's librabbitmq-dev (rabbitmq-c 0.11), reached only through AMQPClient.
        .systemLibrary(
            name: "CRabbitMQ",
            pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),

        /// Debian's libsqlite3-dev, reached only through MTSCorrelation's store. Chosen over
        /// vapor/sqlite-nio by measurement (see Sources/MTSCorrelation/Store/CorrelationStore.swift).
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),

        /// The git commit the build scripts embed (scripts/lib/build-info.sh), for --version.
        .target(name: "CBuildInfo"),

        // MARK: Libraries

        /// A Swift AMQP 0-9-1 client over librabbitmq: one owning thread per connection.
        .target(
            name: "AMQPClient",
            dependencies: [
                "CRabbitMQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        /// MTS Transaction 3.0 and jackpot message models with validation. No IO.
        .target(
            name: "MTSProtocol",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        /// The correlation engine: pending table, timeouts, outcomes, durable store (SQLite, or
        /// PostgreSQL through postgres-nio for relays that share one).
        .target(
            name: "MTSCorrelation",
            dependencies: [
                "CSQLite",
                "MTSProtocol",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        /// The daemon: configuration, sinks, the consume pipeline, services.
        .target(
            name: "MTSRelayDaemon",
            dependencies: [
                "AMQPClient",
                "MTSProtocol",
                "MTSCorrelation",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),

        /// mts-sim's pure core: scenario planning, message generation, the manifest and its
        /// checker. No IO.
        .target(
            name: "MTSSimulation",
            dependencies: ["MTSProtocol", "MTSCorrelation"],
            swiftSettings: swiftSettings
        ),

        // MARK: Executables

        .executableTarget(
            name: "MTSRelayCommand",
            dependencies: [
                "AMQPClient",
                "CBuildInfo",
                "MTSProtocol",
                "MTSCorrelation",
                "MTSRelayDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        /// `mts-sim`: plays the platform and MTS against a broker, and checks a relay's results.
        .executableTarget(
            name: "MTSSim",
            dependencies: [
                "AMQPClient",
                "MTSCorrelation",
                "MTSSimulation",
                "MTSProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Tests

        /// What several test targets share (loopback ports). Not shipped.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "AMQPClientTests",
            dependencies: ["AMQPClient", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MTSRelayDaemonTests",
            dependencies: [
                "TestSupport",
                "MTSRelayDaemon",
                "MTSProtocol",
                "MTSSimulation",
                "AMQPClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MTSSimulationTests",
            dependencies: ["MTSSimulation", "MTSProtocol", "MTSCorrelation"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MTSProtocolTests",
            dependencies: [
                "MTSProtocol",
                "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MTSCorrelationTests",
            dependencies: [
                "MTSCorrelation",
                "TestSupport",
                "CSQLite",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
