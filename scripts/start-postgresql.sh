#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1 (port MTS_RELAY_POSTGRES_PORT, default
# 5432) with a role and a database for the tests: user mts_relay, password mts_relay, database
# mts_relay (the tests' default URL, MTS_RELAY_TEST_POSTGRES_URL, is
# postgresql://mts_relay:mts_relay@127.0.0.1:5432/mts_relay).
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
echo "start-postgresql: PostgreSQL answers on 127.0.0.1:$port (database $database, user $role)"
