// The one door from Swift into librabbitmq (rabbitmq-c 0.11, Debian's librabbitmq-dev).
// Only the AMQPClient module imports this. Each wrapper below exists because Swift cannot use
// the C declaration as it stands; the comment on it says why.
#ifndef MTS_RELAY_CRABBITMQ_SHIM_H
#define MTS_RELAY_CRABBITMQ_SHIM_H

// 0.11 still installs its headers at the top of /usr/include (0.12 moved them under
// rabbitmq-c/); pkg-config gives no -I flag, so these are found on the default path.
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>

// amqp_login and amqp_login_with_properties are variadic (the SASL credentials follow the
// method), and Swift cannot call a C variadic function. These fix the method to PLAIN.
static inline amqp_rpc_reply_t mts_amqp_login_plain(amqp_connection_state_t state,
                                                    const char *vhost, int channel_max,
                                                    int frame_max, int heartbeat,
                                                    const amqp_table_t *properties,
                                                    const char *user, const char *password) {
    return amqp_login_with_properties(state, vhost, channel_max, frame_max, heartbeat,
                                      properties, AMQP_SASL_METHOD_PLAIN, user, password);
}

// Same as above for SASL EXTERNAL (TLS client certificates): one identity argument.
static inline amqp_rpc_reply_t mts_amqp_login_external(amqp_connection_state_t state,
                                                       const char *vhost, int channel_max,
                                                       int frame_max, int heartbeat,
                                                       const amqp_table_t *properties,
                                                       const char *identity) {
    return amqp_login_with_properties(state, vhost, channel_max, frame_max, heartbeat,
                                      properties, AMQP_SASL_METHOD_EXTERNAL, identity);
}

// TLS diagnostics. librabbitmq 0.11 keeps OpenSSL's verification result to itself (it reports
// only AMQP_STATUS_SSL_PEER_VERIFY_FAILED), so the client installs this callback on the socket's
// SSL_CTX (amqp_ssl_socket_get_context) to learn which check failed: it stores the first X509
// verification error into the int that the context's app data points to (per connection, no
// global state). The mode stays SSL_VERIFY_NONE, so librabbitmq still decides, from its own
// verify_peer flag, whether a failed verification fails the connection.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

static inline int mts_tls_verify_callback(int preverify_ok, X509_STORE_CTX *store) {
    if (!preverify_ok) {
        SSL *ssl = (SSL *)X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
        if (ssl) {
            int *slot = (int *)SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
            if (slot && *slot == 0) { *slot = X509_STORE_CTX_get_error(store); }
        }
    }
    return preverify_ok;
}

// Installs the callback above on an SSL_CTX (a void * from amqp_ssl_socket_get_context), with
// `slot` receiving the first verification error (X509_V_OK, 0, while none).
static inline void mts_tls_record_verify_errors(void *context, int *slot) {
    SSL_CTX *ctx = (SSL_CTX *)context;
    SSL_CTX_set_app_data(ctx, slot);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, mts_tls_verify_callback);
}

// OpenSSL's words for an X509 verification error ("certificate has expired").
static inline const char *mts_tls_verify_error_string(int error) {
    return X509_verify_cert_error_string(error);
}

// Empties this thread's OpenSSL error queue (before a call whose errors are wanted).
static inline void mts_tls_clear_errors(void) { ERR_clear_error(); }

// The most recent error on this thread's OpenSSL error queue, as text ("" when there is
// none); e.g. "error:05800074:x509 certificate routines::key values mismatch".
static inline void mts_tls_last_error(char *buffer, size_t length) {
    unsigned long error = ERR_peek_last_error();
    if (error == 0 || length == 0) {
        if (length > 0) { buffer[0] = 0; }
        return;
    }
    ERR_error_string_n(error, buffer, length);
}

// What the most recent OpenSSL error on this thread means for the operator, from its reason
// code (not its words): MTS_TLS_NOT_TLS when the server did not answer TLS (a plain port),
// MTS_TLS_CLIENT_CERTIFICATE_REFUSED when the server sent an alert about our certificate,
// MTS_TLS_OTHER otherwise (and when the queue is empty).
enum { MTS_TLS_OTHER = 0, MTS_TLS_NOT_TLS = 1, MTS_TLS_CLIENT_CERTIFICATE_REFUSED = 2 };
static inline int mts_tls_last_error_kind(void) {
    unsigned long error = ERR_peek_last_error();
    if (error == 0 || ERR_GET_LIB(error) != ERR_LIB_SSL) { return MTS_TLS_OTHER; }
    switch (ERR_GET_REASON(error)) {
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
        return MTS_TLS_NOT_TLS;
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
        return MTS_TLS_CLIENT_CERTIFICATE_REFUSED;
    default:
        return MTS_TLS_OTHER;
    }
}

// The method ids are macros with a cast ((amqp_method_number_t)0x...), which Swift does not
// import. These constants carry the ones the client dispatches on.
static const amqp_method_number_t MTS_CONNECTION_CLOSE = AMQP_CONNECTION_CLOSE_METHOD;
static const amqp_method_number_t MTS_CONNECTION_CLOSE_OK = AMQP_CONNECTION_CLOSE_OK_METHOD;
static const amqp_method_number_t MTS_CONNECTION_BLOCKED = AMQP_CONNECTION_BLOCKED_METHOD;
static const amqp_method_number_t MTS_CONNECTION_UNBLOCKED = AMQP_CONNECTION_UNBLOCKED_METHOD;
static const amqp_method_number_t MTS_CHANNEL_CLOSE = AMQP_CHANNEL_CLOSE_METHOD;
static const amqp_method_number_t MTS_CHANNEL_CLOSE_OK = AMQP_CHANNEL_CLOSE_OK_METHOD;
static const amqp_method_number_t MTS_BASIC_DELIVER = AMQP_BASIC_DELIVER_METHOD;
static const amqp_method_number_t MTS_BASIC_ACK = AMQP_BASIC_ACK_METHOD;
static const amqp_method_number_t MTS_BASIC_NACK = AMQP_BASIC_NACK_METHOD;
static const amqp_method_number_t MTS_BASIC_RETURN = AMQP_BASIC_RETURN_METHOD;
static const amqp_method_number_t MTS_BASIC_CANCEL = AMQP_BASIC_CANCEL_METHOD;
static const amqp_method_number_t MTS_BASIC_CANCEL_OK = AMQP_BASIC_CANCEL_OK_METHOD;

// The property flags are (1 << n) macros; spelled out as constants for the same reason.
static const amqp_flags_t MTS_FLAG_CONTENT_TYPE = AMQP_BASIC_CONTENT_TYPE_FLAG;
static const amqp_flags_t MTS_FLAG_CONTENT_ENCODING = AMQP_BASIC_CONTENT_ENCODING_FLAG;
static const amqp_flags_t MTS_FLAG_HEADERS = AMQP_BASIC_HEADERS_FLAG;
static const amqp_flags_t MTS_FLAG_DELIVERY_MODE = AMQP_BASIC_DELIVERY_MODE_FLAG;
static const amqp_flags_t MTS_FLAG_PRIORITY = AMQP_BASIC_PRIORITY_FLAG;
static const amqp_flags_t MTS_FLAG_CORRELATION_ID = AMQP_BASIC_CORRELATION_ID_FLAG;
static const amqp_flags_t MTS_FLAG_REPLY_TO = AMQP_BASIC_REPLY_TO_FLAG;
static const amqp_flags_t MTS_FLAG_EXPIRATION = AMQP_BASIC_EXPIRATION_FLAG;
static const amqp_flags_t MTS_FLAG_MESSAGE_ID = AMQP_BASIC_MESSAGE_ID_FLAG;
static const amqp_flags_t MTS_FLAG_TIMESTAMP = AMQP_BASIC_TIMESTAMP_FLAG;
static const amqp_flags_t MTS_FLAG_TYPE = AMQP_BASIC_TYPE_FLAG;
static const amqp_flags_t MTS_FLAG_USER_ID = AMQP_BASIC_USER_ID_FLAG;
static const amqp_flags_t MTS_FLAG_APP_ID = AMQP_BASIC_APP_ID_FLAG;

// The wake-up descriptor of a connection's thread (see ConnectionInbox). Swift's Glibc
// module does not export <sys/eventfd.h>, and the flags are macros.
#include <sys/eventfd.h>
static inline int mts_new_wake_descriptor(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

#endif
