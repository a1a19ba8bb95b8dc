import Foundation
import MTSCorrelation
import Testing

@testable import MTSRelayDaemon

/// `store.url`, `MTS_RELAY_STORE_URL` and the `ha` section.
@Suite struct StoreConfigurationTests {
    typealias Support = ConfigurationTestSupport

    @Test func sqliteIsTheDefaultAndTheHADefaultsHold() throws {
        let configuration = try Support.load("store:\n  path: /tmp/x.sqlite\n")
        #expect(configuration.store.url == nil)
        #expect(configuration.storeLocation == .sqlite(path: "/tmp/x.sqlite"))
        #expect(configuration.ha.group == "default")
        #expect(configuration.ha.node == ProcessInfo.processInfo.hostName)
        #expect(configuration.ha.leaseMs == 5_000)
    }

    @Test func storeURLSelectsPostgreSQLScopedByTheGroup() throws {
        let yaml = """
            store:
              url: postgresql://relay@db.example:5433/mts
            ha:
              group: eu-1
              node: relay-a
              leaseMs: 3000
            """
        let configuration = try Support.load(yaml)
        #expect(
            configuration.storeLocation
                == .postgres(url: "postgresql://relay@db.example:5433/mts", group: "eu-1"))
        #expect(
            configuration.jackpotStoreLocation
                == .postgres(url: "postgresql://relay@db.example:5433/mts", group: "eu-1.jackpot"))
        #expect(configuration.ha.node == "relay-a")
        #expect(configuration.ha.leaseMs == 3_000)
    }

    @Test func theEnvironmentWinsOverTheFile() throws {
        let configuration = try Support.load(
            "store:\n  url: postgresql://file@a.example/one\n",
            environment: ["MTS_RELAY_STORE_URL": "postgresql://env:pw@b.example/two"])
        #expect(configuration.store.url == "postgresql://env:pw@b.example/two")
    }

    @Test func aBadURLIsNamedByItsKeyWithoutThePassword() {
        let file = Support.onlyProblem("store:\n  url: mysql://relay:hunter2@db.example/mts\n")
        #expect(file?.keyPath == "store.url")
        #expect(file?.reason.contains("postgresql://") == true)
        #expect(file?.description.contains("hunter2") == false)

        let noDatabase = Support.onlyProblem("store:\n  url: postgresql://relay:hunter2@db.example\n")
        #expect(noDatabase?.keyPath == "store.url")
        #expect(noDatabase?.reason.contains("no database") == true)
        #expect(noDatabase?.description.contains("hunter2") == false)

        let environment = Support.onlyProblem(
            "", environment: ["MTS_RELAY_STORE_URL": "postgresql://relay:hunter2@/mts"])
        #expect(environment?.keyPath == "MTS_RELAY_STORE_URL")
        #expect(environment?.reason.contains("overrides store.url") == true)
        #expect(environment?.description.contains("hunter2") == false)
    }

    @Test func haValuesAreValidatedNamingTheKey() {
        let lease = Support.onlyProblem("ha:\n  leaseMs: 100\n")
        #expect(lease?.keyPath == "ha.leaseMs")
        #expect(lease?.reason.contains("must be in 500...600000") == true)

        let group = Support.onlyProblem("ha:\n  group: \"\"\n")
        #expect(group?.keyPath == "ha.group")

        let unknown = Support.onlyProblem("ha:\n  lease: 3000\n")
        #expect(unknown?.keyPath == "ha.lease")
        #expect(unknown?.reason.contains("did you mean 'leaseMs'?") == true)
    }

    @Test func theTLSParametersAreValidatedNamingTheKeyAndTheParameter() {
        let prefer = Support.onlyProblem(
            "store:\n  url: postgresql://relay:hunter2@db.example/mts?sslmode=prefer\n")
        #expect(prefer?.keyPath == "store.url")
        #expect(prefer?.reason.contains("sslmode=prefer is refused") == true)
        #expect(prefer?.description.contains("hunter2") == false)

        let half = Support.onlyProblem(
            "",
            environment: ["MTS_RELAY_STORE_URL": "postgresql://relay:hunter2@db.example/mts?sslcert=/c.pem"])
        #expect(half?.keyPath == "MTS_RELAY_STORE_URL")
        #expect(half?.reason.contains("sslcert and sslkey go together") == true)
        #expect(half?.description.contains("hunter2") == false)
    }

    @Test func theDescriptionSpellsOutTheResolvedSSLMode() throws {
        let remote = try Support.load("store:\n  url: postgresql://relay:hunter2@db.example/mts\n")
        #expect(
            remote.resolvedDescription().contains(
                "url: postgresql://relay:****@db.example:5432/mts?sslmode=verify-full&sslrootcert=system"))
        let local = try Support.load("store:\n  url: postgresql://relay@localhost/mts\n")
        #expect(
            local.resolvedDescription().contains("url: postgresql://relay@localhost:5432/mts?sslmode=disable")
        )
    }

    @Test func theDescriptionMasksTheStorePassword() throws {
        let configuration = try Support.load("store:\n  url: postgresql://relay:hunter2@db.example/mts\n")
        let text = configuration.resolvedDescription()
        #expect(!text.contains("hunter2"))
        #expect(text.contains("url: postgresql://relay:****@db.example:5432/mts"))
        #expect("\(configuration.storeLocation)".contains("postgresql://relay@db.example:5432/mts"))
        #expect(!"\(configuration.storeLocation)".contains("hunter2"))
    }
}
