#!/usr/bin/env bash
# Starts Debian's PostgreSQL cluster on 127.0.0.1 for the tests that need a real server, and makes
# a throwaway role and database for them (password "onedoor-test": a test credential, not a
# secret). Prints the libpq connection string on stdout. Needs root (it runs the cluster as the
# postgres user); installs nothing (scripts/install-deps.sh --test does).
set -euo pipefail
[[ $(id -u) -eq 0 ]] || { echo "start-postgres: needs root" >&2; exit 1; }
version=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1}')
if [[ -z $version ]]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  pg_createcluster "$version" main >/dev/null
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $4}' | grep -q online; then
  pg_ctlcluster "$version" main start >&2
fi
for _ in $(seq 1 50); do
  su postgres -c "psql -p $port -qtAc 'SELECT 1'" >/dev/null 2>&1 && break
  sleep 0.2
done
su postgres -c "psql -p $port -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = 'onedoor_test'\"" | grep -q 1 ||
  su postgres -c "psql -p $port -qc \"CREATE ROLE onedoor_test LOGIN PASSWORD 'onedoor-test' CREATEDB\"" >&2
su postgres -c "psql -p $port -qtAc \"SELECT 1 FROM pg_database WHERE datname = 'onedoor_test'\"" | grep -q 1 ||
  su postgres -c "psql -p $port -qc 'CREATE DATABASE onedoor_test OWNER onedoor_test'" >&2
echo "host=127.0.0.1 port=$port user=onedoor_test password=onedoor-test dbname=onedoor_test"
