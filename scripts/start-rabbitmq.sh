#!/usr/bin/env bash
# Makes sure a RabbitMQ server answers on 127.0.0.1:5672 (plain) and 127.0.0.1:5671 (TLS, the
# test CA of scripts/make-test-certs.sh, EXTERNAL login through rabbitmq_auth_mechanism_ssl):
# installs Debian's rabbitmq-server when it is missing, writes the listeners into
# /etc/rabbitmq/rabbitmq.conf, starts the broker when nothing answers, restarts it once when a
# plain broker runs without the TLS listener, and waits until both ports are ready. Safe to run
# again: a broker that already has both listeners and the current certificates is left alone.
# Queues the tests leave behind (a test that failed before its clean-up) expire after an hour
# unused (the policy mts-relay-test-queues, on the tests' queue prefixes only).
# Exits non-zero with a clear message and the broker's log when the broker never comes up.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${MTS_RELAY_RABBITMQ_PORT:-5672}"
tls_port="${MTS_RELAY_RABBITMQ_TLS_PORT:-5671}"
wait_seconds="${MTS_RELAY_RABBITMQ_WAIT:-120}"
conf=/etc/rabbitmq/rabbitmq.conf
# The broker runs as the rabbitmq user, which cannot read the repository's var/tls: it gets
# copies it owns.
broker_tls=/etc/rabbitmq/tls
client_user=mts-relay-client

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v rabbitmq-server >/dev/null 2>&1; then
  echo "start-rabbitmq: installing rabbitmq-server"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
fi

bash scripts/make-test-certs.sh

# The server certificate and key, and the CA that verifies client certificates.
certificates_changed=0
as_root install -d -m 0750 -o rabbitmq -g rabbitmq "$broker_tls"
for file in ca.pem server.pem server.key; do
  if ! as_root cmp -s "var/tls/$file" "$broker_tls/$file"; then
    as_root install -m 0600 -o rabbitmq -g rabbitmq "var/tls/$file" "$broker_tls/$file"
    certificates_changed=1
  fi
done

# Loopback only: the tests and the demo never need the broker on another interface. The TLS
# block is rewritten whole between its markers, so a changed port takes effect.
wanted_block="# BEGIN mts-relay tests (scripts/start-rabbitmq.sh)
listeners.ssl.default = 127.0.0.1:$tls_port
ssl_options.cacertfile = $broker_tls/ca.pem
ssl_options.certfile = $broker_tls/server.pem
ssl_options.keyfile = $broker_tls/server.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = false
ssl_cert_login_from = common_name
auth_mechanisms.1 = PLAIN
auth_mechanisms.2 = AMQPLAIN
auth_mechanisms.3 = EXTERNAL
# END mts-relay tests"
current=""
[ -f "$conf" ] && current=$(cat "$conf")
wanted=$(printf '%s\n' "$current" | sed '/^# BEGIN mts-relay tests/,/^# END mts-relay tests/d' | sed '/^$/d')
if ! grep -q '^listeners.tcp.default' <<<"$wanted"; then
  wanted=$(printf '%s\nlisteners.tcp.default = 127.0.0.1:%s' "$wanted" "$port" | sed '/^$/d')
fi
wanted=$(printf '%s\n%s' "$wanted" "$wanted_block")
config_changed=0
if [ "$wanted" != "$current" ]; then
  printf '%s\n' "$wanted" | as_root tee "$conf" >/dev/null
  config_changed=1
fi

# Written offline (enabled_plugins), so it holds across restarts; a running broker also
# picks it up below.
if ! grep -qs rabbitmq_auth_mechanism_ssl /etc/rabbitmq/enabled_plugins; then
  as_root rabbitmq-plugins enable --offline rabbitmq_auth_mechanism_ssl >/dev/null
fi

wait_until_ready() {
  for _ in $(seq 1 "$wait_seconds"); do
    if answers "$port" && answers "$tls_port" && as_root rabbitmqctl -q status >/dev/null 2>&1; then
      return 0
    fi
    sleep 1
  done
  echo "start-rabbitmq: RabbitMQ did not answer on 127.0.0.1:$port and :$tls_port within ${wait_seconds}s" >&2
  for log in /var/log/rabbitmq/rabbit@*.log /var/log/rabbitmq/startup_err; do
    [ -s "$log" ] || continue
    echo "start-rabbitmq: the end of $log:" >&2
    tail -n 30 "$log" >&2 || true
  done
  return 1
}

# Started in the rabbitmq user's own shell with its open-file limit raised. The PAM session of
# su and runuser gives that user a soft limit of 1 024, and RabbitMQ keeps files open while it
# recovers each durable queue at boot: with about 900 queues on disk (the file handle cache
# keeps the rest for sockets) the boot stalls for good with nothing in the log, as a machine
# that ran the tests many times showed. The soft limit goes up to the hard one, at most 65 536,
# which needs no privilege.
start_broker() {
  as_root runuser -u rabbitmq -- sh -c '
    limit=$(ulimit -Hn)
    if [ "$limit" = unlimited ] || [ "$limit" -gt 65536 ]; then limit=65536; fi
    ulimit -n "$limit"
    cd /var/lib/rabbitmq && exec /usr/lib/rabbitmq/bin/rabbitmq-server -detached' >/dev/null 2>&1 || true
}

# A node that runs but answers on neither port is still booting, or stalled: it gets the wait
# time to finish; one that does not is killed, so that a fresh start is not refused for a node
# of the same name.
node_running() { pgrep -u rabbitmq -f 'beam.*-s rabbit boot' >/dev/null 2>&1; }
if ! answers "$port" && node_running; then
  echo "start-rabbitmq: a broker node is booting; waiting for it"
  if ! as_root timeout "$wait_seconds" rabbitmqctl -q await_startup >/dev/null 2>&1 || ! answers "$port"; then
    echo "start-rabbitmq: the booting node did not come up within ${wait_seconds}s; killing it" >&2
    as_root pkill -9 -u rabbitmq -f 'beam.*-s rabbit boot' || true
    for _ in $(seq 1 20); do node_running || break; sleep 0.5; done
  fi
fi

if answers "$port"; then
  if answers "$tls_port" && [ "$config_changed" = 0 ]; then
    echo "start-rabbitmq: a broker already answers on 127.0.0.1:$port and :$tls_port (TLS)"
    if [ "$certificates_changed" = 1 ]; then
      # New certificates under the same file names: Erlang's ssl caches PEM files.
      as_root rabbitmqctl -q eval 'ssl:clear_pem_cache().' >/dev/null
      echo "start-rabbitmq: the broker uses the new test certificates"
    fi
  else
    echo "start-rabbitmq: restarting the broker for its TLS listener on 127.0.0.1:$tls_port"
    as_root rabbitmqctl -q stop >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do answers "$port" || break; sleep 0.5; done
  fi
fi

if ! answers "$port"; then
  echo "start-rabbitmq: starting rabbitmq-server"
  start_broker
fi
wait_until_ready

# The EXTERNAL login's user: the client certificate's common name, without a password.
# The list is read whole first: `grep -q` stops reading at the first match, rabbitmqctl then
# dies on the closed pipe (":terminated"), and with pipefail the test said "missing".
users=$(as_root rabbitmqctl -q list_users)
if ! grep -q "^$client_user[[:space:]]" <<<"$users"; then
  as_root rabbitmqctl -q add_user "$client_user" "unused-$(openssl rand -hex 16)" >/dev/null
  as_root rabbitmqctl -q clear_password "$client_user" >/dev/null
fi
as_root rabbitmqctl -q set_permissions -p / "$client_user" '.*' '.*' '.*' >/dev/null
# The tests name their queues relay-test.*, mts-relay-test.* and mts-sim*; they delete them when
# they finish, but a test that fails half-way cannot, and queues left over from many runs slow
# every boot. Unused for an hour, the broker deletes them.
as_root rabbitmqctl -q set_policy --apply-to queues mts-relay-test-queues \
  '^(relay-test|mts-relay-test|mts-sim)[.-]' '{"expires":3600000}' >/dev/null
echo "start-rabbitmq: broker ready on 127.0.0.1:$port and :$tls_port (TLS)"
