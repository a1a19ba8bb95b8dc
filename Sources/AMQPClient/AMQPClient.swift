internal import CRabbitMQ

/// The librabbitmq version this client was built against, e.g. "0.11.0".
public var librabbitmqVersion: String { String(cString: amqp_version()) }
