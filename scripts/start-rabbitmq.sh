#!/usr/bin/env bash
# Makes sure a RabbitMQ server answers on 127.0.0.1:5672: installs Debian's rabbitmq-server
# when it is missing, starts it bound to loopback when nothing answers, and waits until it is
# ready. Exits non-zero with a clear message when the broker never comes up.
set -euo pipefail

port="${MTS_RELAY_RABBITMQ_PORT:-5672}"
wait_seconds="${MTS_RELAY_RABBITMQ_WAIT:-120}"

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if answers; then
  echo "start-rabbitmq: a broker already answers on 127.0.0.1:$port"
  exit 0
fi

if ! command -v rabbitmq-server >/dev/null 2>&1; then
  echo "start-rabbitmq: installing rabbitmq-server"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
fi

# Loopback only: the tests and the demo never need the broker on another interface.
if [ ! -f /etc/rabbitmq/rabbitmq.conf ] || ! grep -q '^listeners.tcp.default' /etc/rabbitmq/rabbitmq.conf; then
  echo "listeners.tcp.default = 127.0.0.1:$port" | as_root tee -a /etc/rabbitmq/rabbitmq.conf >/dev/null
fi

echo "start-rabbitmq: starting rabbitmq-server"
# The Debian wrapper switches to the rabbitmq user by itself; -detached returns at once.
as_root rabbitmq-server -detached >/dev/null 2>&1 || true

for _ in $(seq 1 "$wait_seconds"); do
  if answers && as_root rabbitmqctl -q status >/dev/null 2>&1; then
    echo "start-rabbitmq: broker ready on 127.0.0.1:$port"
    exit 0
  fi
  sleep 1
done
echo "start-rabbitmq: RabbitMQ did not answer on 127.0.0.1:$port within ${wait_seconds}s" >&2
tail -n 30 /var/log/rabbitmq/*.log 2>/dev/null >&2 || true
exit 1
