import Testing

@testable import AMQPClient

@Suite("AMQP URL parsing")
struct AMQPConnectionConfigurationTests {
    @Test func fullURL() throws {
        let configuration = try AMQPConnectionConfiguration(
            url: "amqp://relay:s3cret@broker.example:5673/mts")
        #expect(configuration.host == "broker.example")
        #expect(configuration.port == 5673)
        #expect(configuration.user == "relay")
        #expect(configuration.password == "s3cret")
        #expect(configuration.virtualHost == "mts")
        #expect(configuration.tls == nil)
    }

    @Test func externalLoginFromTheQuery() throws {
        let external = try AMQPConnectionConfiguration(
            url: "amqps://mq.example:5671/prod?heartbeat=10&auth_mechanism=EXTERNAL")
        #expect(external.login == .external)
        #expect(external.virtualHost == "prod")
        #expect(external.description == "amqps://mq.example:5671/prod?auth_mechanism=external")
        #expect(
            try AMQPConnectionConfiguration(url: "amqps://mq.example/?auth_mechanism=plain").login == .plain)
        #expect(try AMQPConnectionConfiguration(url: "amqps://u:p@mq.example/").login == .plain)
        #expect(throws: AMQPError.self) {
            try AMQPConnectionConfiguration(url: "amqps://mq.example/?auth_mechanism=kerberos")
        }
        // EXTERNAL needs a client certificate, so TLS.
        #expect {
            try AMQPConnectionConfiguration(url: "amqp://mq.example/?auth_mechanism=external")
        } throws: { error in
            "\(error)".contains("auth_mechanism=external needs TLS")
        }
    }

    @Test func defaults() throws {
        let plain = try AMQPConnectionConfiguration(url: "amqp://localhost")
        #expect(plain.port == 5672)
        #expect(plain.virtualHost == "/")
        #expect(plain.user == "guest")
        #expect(plain.password == "guest")
        let trailingSlash = try AMQPConnectionConfiguration(url: "amqp://localhost/")
        #expect(trailingSlash.virtualHost == "/")
    }

    @Test func percentEncodedPasswordAndVhost() throws {
        let configuration = try AMQPConnectionConfiguration(
            url: "amqp://us%40er:p%40ss%3Aw%2Frd%25@127.0.0.1:5672/%2Fmts%2Fprod")
        #expect(configuration.user == "us@er")
        #expect(configuration.password == "p@ss:w/rd%")
        #expect(configuration.virtualHost == "/mts/prod")
        let rootVhost = try AMQPConnectionConfiguration(url: "amqp://h/%2F")
        #expect(rootVhost.virtualHost == "/")
    }

    @Test func amqpsTurnsOnTLSWithVerification() throws {
        let configuration = try AMQPConnectionConfiguration(url: "amqps://u:p@mts.example/vh")
        #expect(configuration.port == 5671)
        #expect(configuration.tls?.verifyPeer == true)
        #expect(configuration.tls?.verifyHostname == true)
        let custom = try AMQPConnectionConfiguration(
            url: "amqps://u:p@mts.example:5999/vh",
            tls: .init(caFile: "/etc/ssl/ca.pem", verifyHostname: false))
        #expect(custom.port == 5999)
        #expect(custom.tls?.caFile == "/etc/ssl/ca.pem")
        #expect(custom.tls?.verifyPeer == true)
        #expect(custom.tls?.verifyHostname == false)
    }

    @Test func ipv6Host() throws {
        let configuration = try AMQPConnectionConfiguration(url: "amqp://u:p@[::1]:5672/")
        #expect(configuration.host == "::1")
        #expect(configuration.port == 5672)
    }

    @Test(arguments: [
        ("http://localhost", "scheme"),
        ("localhost:5672", "scheme"),
        ("amqp://u:p@:5672/", "no host"),
        ("amqp://u:p@host:99999/", "port"),
        ("amqp://u:p@host:abc/", "port"),
        ("amqp://u:p@host/a/b", "vhost"),
        ("amqp://u:p%zz@host/", "password"),
    ])
    func invalidURLsNameTheProblem(url: String, mention: String) {
        #expect {
            try AMQPConnectionConfiguration(url: url)
        } throws: { error in
            guard let error = error as? AMQPError else { return false }
            return error.code == .invalidConfiguration && error.reason.contains(mention)
        }
    }

    @Test func thePasswordNeverAppearsInDescriptionsOrErrors() throws {
        let configuration = try AMQPConnectionConfiguration(url: "amqp://relay:TopSecret42@host:5672/v")
        #expect(!configuration.description.contains("TopSecret42"))
        #expect(configuration.description == "amqp://relay:****@host:5672/v")
        #expect(!"\(configuration)".contains("TopSecret42"))
        do {
            // No "@host": the password sits where the port would be.
            _ = try AMQPConnectionConfiguration(url: "amqp://relay:TopSecret42/v")
            Issue.record("expected an error")
        } catch {
            #expect(!"\(error)".contains("TopSecret42"))
        }
        do {
            _ = try AMQPConnectionConfiguration(url: "amqp://relay:TopSecret42@host:70000/v")
            Issue.record("expected an error")
        } catch {
            #expect(!"\(error)".contains("TopSecret42"))
        }
    }
}
