import AMQPClient

extension RelayConfiguration {
    /// The settings of a connection to `url` with the `broker` section's TLS settings and
    /// heartbeat: the daemon's connections, and `check-broker --config`.
    public func brokerConnection(url: String, name: String) throws -> AMQPConnectionConfiguration {
        let tls = broker.tls
        var connection = try AMQPConnectionConfiguration(
            url: url,
            tls: .init(
                caFile: tls.caFile, certificateFile: tls.certificateFile, keyFile: tls.keyFile,
                verifyPeer: tls.verifyPeer, verifyHostname: tls.verifyHostname))
        connection.heartbeatSeconds = broker.heartbeatSeconds
        connection.connectionName = name
        return connection
    }
}
