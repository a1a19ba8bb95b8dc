/*
 * ceiling: the honest upper bound of librabbitmq + RabbitMQ on this machine.
 *
 * Drains N messages from a queue with manual acks, at a given prefetch, with no pipeline at
 * all (no decoding, no store, no sink), then prints one line:
 *   ceiling mode=<per-message|batched> count=N seconds=S rate=R cpu_user=U cpu_sys=Y maxrss_kib=K
 *
 *   ceiling <queue> <count> <prefetch> <ack-every>
 *   ceiling --delete <queue>...     cleanup: deletes the queues, whatever they hold;
 *                                   a name written exchange:<name> deletes that exchange
 *     ack-every = 1: basic.ack per message (multiple=false)
 *     ack-every = K: basic.ack with multiple=true every K messages (and for the last one)
 *
 * The clock starts at the first delivery, so connecting and consuming are not counted.
 * Broker: 127.0.0.1:5672, guest/guest, vhost "/" (override host/port with CEILING_HOST/PORT).
 * Build: cc -O2 -o ceiling ceiling.c $(pkg-config --cflags --libs librabbitmq)
 */
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static void die_reply(amqp_rpc_reply_t r, const char *what) {
    if (r.reply_type == AMQP_RESPONSE_NORMAL) return;
    fprintf(stderr, "ceiling: %s failed (reply type %d, library error %s)\n", what,
            r.reply_type, amqp_error_string2(r.library_error));
    exit(2);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double tv_seconds(struct timeval tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

static amqp_connection_state_t connect_broker(void) {
    const char *host = getenv("CEILING_HOST") ? getenv("CEILING_HOST") : "127.0.0.1";
    int port = getenv("CEILING_PORT") ? atoi(getenv("CEILING_PORT")) : 5672;
    amqp_connection_state_t conn = amqp_new_connection();
    amqp_socket_t *socket = amqp_tcp_socket_new(conn);
    if (!socket || amqp_socket_open(socket, host, port) != AMQP_STATUS_OK) {
        fprintf(stderr, "ceiling: cannot connect to %s:%d\n", host, port);
        exit(2);
    }
    die_reply(amqp_login(conn, "/", 0, AMQP_DEFAULT_FRAME_SIZE, 0, AMQP_SASL_METHOD_PLAIN,
                         "guest", "guest"), "login");
    amqp_channel_open(conn, 1);
    die_reply(amqp_get_rpc_reply(conn), "channel.open");
    return conn;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "--delete") == 0) {
        amqp_connection_state_t conn = connect_broker();
        for (int i = 2; i < argc; i++) {
            if (strncmp(argv[i], "exchange:", 9) == 0) {
                amqp_exchange_delete(conn, 1, amqp_cstring_bytes(argv[i] + 9), 0);
                die_reply(amqp_get_rpc_reply(conn), "exchange.delete");
            } else {
                amqp_queue_delete(conn, 1, amqp_cstring_bytes(argv[i]), 0, 0);
                die_reply(amqp_get_rpc_reply(conn), "queue.delete");
            }
        }
        amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
        amqp_destroy_connection(conn);
        return 0;
    }
    if (argc != 5) {
        fprintf(stderr, "usage: ceiling <queue> <count> <prefetch> <ack-every>\n");
        return 2;
    }
    const char *queue = argv[1];
    long count = atol(argv[2]);
    int prefetch = atoi(argv[3]);
    long ack_every = atol(argv[4]);
    amqp_connection_state_t conn = connect_broker();
    /* The relay's replies.prefetch: at most this many unacknowledged deliveries. */
    amqp_basic_qos(conn, 1, 0, (uint16_t)prefetch, 0);
    die_reply(amqp_get_rpc_reply(conn), "basic.qos");
    amqp_basic_consume(conn, 1, amqp_cstring_bytes(queue), amqp_empty_bytes, 0,
                       0 /* no_ack = false: manual acks */, 0, amqp_empty_table);
    die_reply(amqp_get_rpc_reply(conn), "basic.consume");

    long received = 0;
    double start = 0;
    struct rusage before, after;
    while (received < count) {
        amqp_envelope_t envelope;
        amqp_maybe_release_buffers(conn);
        amqp_rpc_reply_t r = amqp_consume_message(conn, &envelope, NULL, 0);
        if (r.reply_type != AMQP_RESPONSE_NORMAL) {
            /* A non-delivery frame (e.g. basic.ack from nothing here) or an error. */
            if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
                r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
                amqp_frame_t frame;
                if (amqp_simple_wait_frame(conn, &frame) != AMQP_STATUS_OK) break;
                continue;
            }
            die_reply(r, "consume");
        }
        if (received == 0) {
            start = now_seconds();
            getrusage(RUSAGE_SELF, &before);
        }
        received++;
        /* Per message: multiple=false each time. Batched: multiple=true every ack_every
           messages, and for the last one so that nothing is left unacknowledged. */
        if (ack_every <= 1) {
            amqp_basic_ack(conn, 1, envelope.delivery_tag, 0);
        } else if (received % ack_every == 0 || received == count) {
            amqp_basic_ack(conn, 1, envelope.delivery_tag, 1);
        }
        amqp_destroy_envelope(&envelope);
    }
    double seconds = now_seconds() - start;
    getrusage(RUSAGE_SELF, &after);
    printf("ceiling mode=%s count=%ld seconds=%.3f rate=%.0f cpu_user=%.3f cpu_sys=%.3f maxrss_kib=%ld\n",
           ack_every <= 1 ? "per-message" : "batched", received, seconds,
           seconds > 0 ? received / seconds : 0,
           tv_seconds(after.ru_utime) - tv_seconds(before.ru_utime),
           tv_seconds(after.ru_stime) - tv_seconds(before.ru_stime), after.ru_maxrss);
    amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn);
    return received == count ? 0 : 1;
}
