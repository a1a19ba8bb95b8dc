#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1 (port MTS_RELAY_POSTGRES_PORT, default
# 5432) with a role and a database for the tests: user mts_relay, password mts_relay, database
# mts_relay (the tests' default URL, MTS_RELAY_TEST_POSTGRES_URL, is
# postgresql://mts_relay:mts_relay@localhost:5432/mts_relay?sslmode=verify-full&sslrootcert=var/tls/ca.pem).
#
# TLS: the cluster gets ssl = on with the test CA of scripts/make-test-certs.sh (the server
# certificate names localhost and 127.0.0.1), through a file of its own in the cluster's conf.d
# and copies of the certificate and key the postgres user owns. Plain connections stay allowed
# (pg_hba's `host` lines take both), for the tests that use them. The role mts-relay-client
# (the test client certificate's CN) logs in with that certificate only (`hostssl ... cert`
# lines, between marker lines at the top of pg_hba.conf). A change is applied with a reload.
#
# Installs Debian's postgresql when it is missing. PostgreSQL refuses to run as root, so the
# cluster is Debian's own (owned by the postgres user): it starts the first cluster
# pg_lsclusters lists on that port with pg_ctlcluster, or creates one with pg_createcluster
# when there is none (a container where the package's post-install script made none, or
# policy-rc.d kept it from starting). Safe to run again: a server that answers is left alone,
# and the role and database are created only when missing. Exits non-zero with a clear message
# when the server never comes up.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${MTS_RELAY_POSTGRES_PORT:-5432}"
wait_seconds="${MTS_RELAY_POSTGRES_WAIT:-60}"
role=mts_relay
database=mts_relay
password="${MTS_RELAY_POSTGRES_PASSWORD:-mts_relay}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { as_root runuser -u postgres -- "$@"; }
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  echo "start-postgresql: installing postgresql"
  as_root apt-get update -qq
  # policy-rc.d may refuse to start the service at install time (containers); it is started below.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi

if ! answers; then
  # Version, name and status of the cluster on our port, if any (pg_lsclusters: ver cluster port status ...).
  cluster=$(pg_lsclusters --no-header 2>/dev/null | awk -v port="$port" '$3 == port { print $1, $2, $4; exit }')
  if [ -z "$cluster" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    echo "start-postgresql: creating cluster $version/mts_relay on 127.0.0.1:$port"
    as_root pg_createcluster "$version" mts_relay --port "$port" -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
    cluster="$version mts_relay down"
  fi
  read -r version name status <<<"$cluster"
  if [ "$status" != online ]; then
    echo "start-postgresql: starting cluster $version/$name on port $port"
    # No systemd in a container: start it directly, as its owner.
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start
  fi
fi

for _ in $(seq "$wait_seconds"); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 1
done
if ! pg_isready -q -h 127.0.0.1 -p "$port"; then
  echo "start-postgresql: PostgreSQL does not answer on 127.0.0.1:$port after ${wait_seconds}s (see /var/log/postgresql/)" >&2
  exit 1
fi

# The tests' role and database, over the local socket as the postgres superuser.
psql_admin() { as_postgres psql -p "$port" -v ON_ERROR_STOP=1 -qAt "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" != 1 ]; then
  echo "start-postgresql: creating role $role"
  psql_admin -c "CREATE ROLE $role LOGIN PASSWORD '$password'"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" != 1 ]; then
  echo "start-postgresql: creating database $database"
  psql_admin -c "CREATE DATABASE $database OWNER $role"
fi

# TLS, in the cluster that serves the port (a Debian cluster: its configuration is under
# /etc/postgresql/VERSION/NAME).
bash scripts/make-test-certs.sh
read -r version name < <(pg_lsclusters --no-header 2>/dev/null | awk -v port="$port" '$3 == port { print $1, $2; exit }') || true
if [ -z "${version:-}" ]; then
  echo "start-postgresql: no Debian cluster (pg_lsclusters) serves port $port: cannot turn on its TLS" >&2
  exit 1
fi
config_dir="/etc/postgresql/$version/$name"
tls_dir="$config_dir/mts-relay-tls"
changed=0
as_root install -d -m 0700 -o postgres -g postgres "$tls_dir"
for file in ca.pem server.pem server.key; do
  if ! as_root cmp -s "var/tls/$file" "$tls_dir/$file"; then
    as_root install -m 0600 -o postgres -g postgres "var/tls/$file" "$tls_dir/$file"
    changed=1
  fi
done
tls_conf="$config_dir/conf.d/mts-relay-tls.conf"
wanted_conf="# Written by mts-relay's scripts/start-postgresql.sh: TLS with the test CA.
ssl = on
ssl_cert_file = '$tls_dir/server.pem'
ssl_key_file = '$tls_dir/server.key'
ssl_ca_file = '$tls_dir/ca.pem'"
if [ "$(as_root cat "$tls_conf" 2>/dev/null)" != "$wanted_conf" ]; then
  printf '%s\n' "$wanted_conf" | as_root install -m 0644 -o postgres -g postgres /dev/stdin "$tls_conf"
  changed=1
fi
hba="$config_dir/pg_hba.conf"
wanted_block="# BEGIN mts-relay tests (scripts/start-postgresql.sh)
hostssl all mts-relay-client 127.0.0.1/32 cert
hostssl all mts-relay-client ::1/128 cert
# END mts-relay tests"
current_hba=$(as_root cat "$hba")
rest=$(printf '%s\n' "$current_hba" | sed '/^# BEGIN mts-relay tests/,/^# END mts-relay tests/d')
wanted_hba=$(printf '%s\n%s' "$wanted_block" "$rest")
if [ "$wanted_hba" != "$current_hba" ]; then
  printf '%s\n' "$wanted_hba" | as_root install -m 0640 -o postgres -g postgres /dev/stdin "$hba"
  changed=1
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'mts-relay-client'")" != 1 ]; then
  echo "start-postgresql: creating role mts-relay-client (client-certificate login)"
  psql_admin -c 'CREATE ROLE "mts-relay-client" LOGIN'
fi
# The store's tables belong to mts_relay: its member may use and migrate them.
psql_admin -c "GRANT $role TO \"mts-relay-client\"" 2>/dev/null || true

if [ "$changed" = 1 ] || [ "$(psql_admin -c 'SHOW ssl')" != on ]; then
  echo "start-postgresql: applying the TLS settings with the test CA (reload)"
  psql_admin -c 'SELECT pg_reload_conf()' >/dev/null
fi
if [ "$(psql_admin -c "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL")" != 0 ]; then
  echo "start-postgresql: $hba has errors:" >&2
  psql_admin -c "SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL" >&2
  exit 1
fi
# A reload is asynchronous: wait until a new session over verify-full sees TLS.
tls_url="postgresql://$role@localhost:$port/$database?sslmode=verify-full&sslrootcert=$PWD/var/tls/ca.pem"
for _ in $(seq 20); do
  [ "$(PGPASSWORD="$password" psql "$tls_url" -qAtc 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()' 2>/dev/null)" = t ] && break
  sleep 0.5
done
if [ "$(PGPASSWORD="$password" psql "$tls_url" -qAtc 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()' 2>&1)" != t ]; then
  echo "start-postgresql: no verified TLS session to localhost:$port (see /var/log/postgresql/):" >&2
  PGPASSWORD="$password" psql "$tls_url" -qAtc 'SELECT 1' >&2 || true
  exit 1
fi
echo "start-postgresql: PostgreSQL answers on 127.0.0.1:$port (database $database, user $role; TLS with the test CA)"
