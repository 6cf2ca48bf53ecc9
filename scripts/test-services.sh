#!/usr/bin/env bash
# Make sure the servers the test suite talks to are up on loopback: PostgreSQL and Redis.
# On a fresh Debian machine they are installed from Debian's packages and started here.
# (SeaweedFS for S3 and the development PKI are started by the test fixtures themselves.)
set -euo pipefail

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

pg_url_host=127.0.0.1
if ! command -v pg_ctlcluster >/dev/null; then
  echo "sohoa: installing PostgreSQL (Debian package)"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends postgresql
fi
if ! pg_isready -q -h "$pg_url_host" -p 5432; then
  echo "sohoa: starting PostgreSQL"
  ver=$(ls /etc/postgresql | sort -V | tail -n1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h "$pg_url_host" -p 5432 && break; sleep 1; done
fi
# The suite connects as "postgres" (password "postgres") over TCP. Debian's default for TCP is
# scram-sha-256, so a fresh machine gets that password set; a trust setup ignores it.
if ! PGPASSWORD=postgres psql -w -h "$pg_url_host" -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  echo "sohoa: setting the test password of PostgreSQL user postgres"
  sql="ALTER USER postgres PASSWORD 'postgres'"
  if [ "$(id -u)" = 0 ]; then
    su postgres -c "psql -qc \"$sql\"" >/dev/null
  else
    sudo -u postgres psql -qc "$sql" >/dev/null
  fi
fi

if ! command -v redis-server >/dev/null; then
  echo "sohoa: installing Redis (Debian package)"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends redis-server
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "sohoa: starting Redis"
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/sohoa-tests.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done
fi
