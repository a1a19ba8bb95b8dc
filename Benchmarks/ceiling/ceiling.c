/*
 * ceiling: the honest upper bound of librabbitmq + RabbitMQ on this machine.
 *
 * Drains N messages from a queue with manual acks, at a given prefetch, with no pipeline at
 * all (no decoding, no store, no sink), then prints one line:
 *   ceiling mode=<per-message|batched> count=N seconds=S rate=R cpu_user=U cpu_sys=Y maxrss_kib=K
 *
 *   ceiling <queue> <count> <prefetch> <ack-every>
 *   ceiling --fill <queue>[,<queue>...] <count> <body-bytes> <window>
 *   ceiling --delete <queue>...     cleanup: deletes the queues, whatever they hold;
 *                                   a name written exchange:<name> deletes that exchange
 *     ack-every = 1: basic.ack per message (multiple=false)
 *     ack-every = K: basic.ack with multiple=true every K messages (and for the last one)
 *
 * The clock starts at the first delivery, so connecting and consuming are not counted.
 *
 * --fill is the publishing side's bound, as mts-sim publishes: count persistent messages of
 * body-bytes (JSON-like filler, content type, app id and a correlation id each) through the
 * default exchange to the queues in turn (declared durable when missing), on one channel in
 * confirm mode with at most `window` unconfirmed; it prints
 *   ceiling mode=fill count=N seconds=S rate=R cpu_user=U cpu_sys=Y maxrss_kib=K
 * with the clock from the first publish to the last confirm.
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

/* Publisher confirms of one channel: which sequence numbers (from 1) the broker confirmed. With
   several queues the confirms of single tags may come out of order, so each is marked. */
struct confirms {
    unsigned char *done;   /* done[tag] = 1 once confirmed */
    uint64_t lowest;       /* every tag below this one is confirmed */
    uint64_t count;        /* how many are confirmed */
};

static void confirm_tag(struct confirms *c, uint64_t tag) {
    if (!c->done[tag]) { c->done[tag] = 1; c->count++; }
}

/* Reads confirms until at most `limit` publishes are unconfirmed; blocks only while more are,
   then takes what else has arrived without waiting. */
static void settle_confirms(amqp_connection_state_t conn, uint64_t published, struct confirms *c,
                            long limit) {
    struct timeval no_wait = {0, 0};
    while (c->count < published) {
        long unconfirmed = (long)(published - c->count);
        amqp_frame_t frame;
        int status = unconfirmed > limit ? amqp_simple_wait_frame(conn, &frame)
                                         : amqp_simple_wait_frame_noblock(conn, &frame, &no_wait);
        if (status == AMQP_STATUS_TIMEOUT) return;
        if (status != AMQP_STATUS_OK) {
            fprintf(stderr, "ceiling: reading confirms failed: %s\n", amqp_error_string2(status));
            exit(2);
        }
        if (frame.frame_type != AMQP_FRAME_METHOD) continue;
        if (frame.payload.method.id == AMQP_BASIC_NACK_METHOD) {
            fprintf(stderr, "ceiling: the broker nacked a publish\n");
            exit(2);
        }
        if (frame.payload.method.id != AMQP_BASIC_ACK_METHOD) continue;
        amqp_basic_ack_t *ack = frame.payload.method.decoded;
        if (ack->multiple) {
            for (uint64_t tag = c->lowest; tag <= ack->delivery_tag; tag++) confirm_tag(c, tag);
        } else {
            confirm_tag(c, ack->delivery_tag);
        }
        while (c->lowest <= published && c->done[c->lowest]) c->lowest++;
    }
}

static int fill(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: ceiling --fill <queue>[,<queue>...] <count> <body-bytes> <window>\n");
        return 2;
    }
    char *queues[16];
    int queue_count = 0;
    for (char *q = strtok(argv[2], ","); q && queue_count < 16; q = strtok(NULL, ",")) queues[queue_count++] = q;
    long count = atol(argv[3]);
    size_t body_bytes = (size_t)atol(argv[4]);
    long window = atol(argv[5]);
    if (queue_count == 0 || count < 1 || body_bytes < 16 || window < 1) {
        fprintf(stderr, "ceiling: --fill needs a queue, count >= 1, body-bytes >= 16, window >= 1\n");
        return 2;
    }
    amqp_connection_state_t conn = connect_broker();
    for (int i = 0; i < queue_count; i++) {
        amqp_queue_declare(conn, 1, amqp_cstring_bytes(queues[i]), 0, 1 /* durable */, 0, 0,
                           amqp_empty_table);
        die_reply(amqp_get_rpc_reply(conn), "queue.declare");
    }
    amqp_confirm_select(conn, 1);
    die_reply(amqp_get_rpc_reply(conn), "confirm.select");

    char *body = malloc(body_bytes);
    memset(body, 'x', body_bytes);
    memcpy(body, "{\"filler\":\"", 11);
    memcpy(body + body_bytes - 2, "\"}", 2);
    char correlation_id[32];
    amqp_basic_properties_t props;
    memset(&props, 0, sizeof props);
    props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
                   AMQP_BASIC_CORRELATION_ID_FLAG | AMQP_BASIC_APP_ID_FLAG;
    props.content_type = amqp_cstring_bytes("application/json");
    props.delivery_mode = 2; /* persistent */
    props.app_id = amqp_cstring_bytes("ceiling");

    uint64_t published = 0;
    struct confirms confirms = {calloc((size_t)count + 2, 1), 1, 0};
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    double start = now_seconds();
    for (long i = 0; i < count; i++) {
        snprintf(correlation_id, sizeof correlation_id, "fill-%08ld", i);
        props.correlation_id = amqp_cstring_bytes(correlation_id);
        int status = amqp_basic_publish(conn, 1, amqp_empty_bytes,
                                        amqp_cstring_bytes(queues[i % queue_count]), 0, 0, &props,
                                        (amqp_bytes_t){.len = body_bytes, .bytes = body});
        if (status != AMQP_STATUS_OK) {
            fprintf(stderr, "ceiling: publish failed: %s\n", amqp_error_string2(status));
            return 2;
        }
        published++;
        if ((long)(published - confirms.count) >= window) settle_confirms(conn, published, &confirms, window - 1);
    }
    settle_confirms(conn, published, &confirms, 0);
    double seconds = now_seconds() - start;
    getrusage(RUSAGE_SELF, &after);
    printf("ceiling mode=fill count=%ld seconds=%.3f rate=%.0f cpu_user=%.3f cpu_sys=%.3f maxrss_kib=%ld\n",
           count, seconds, count / seconds, tv_seconds(after.ru_utime) - tv_seconds(before.ru_utime),
           tv_seconds(after.ru_stime) - tv_seconds(before.ru_stime), after.ru_maxrss);
    free(body);
    free(confirms.done);
    amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "--fill") == 0) return fill(argc, argv);
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
