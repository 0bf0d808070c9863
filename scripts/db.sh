#!/usr/bin/env bash
# Make sure a local PostgreSQL cluster with PostGIS runs and holds database NAME, then print its URL.
#   scripts/db.sh NAME [--fresh]
# Installs the Debian packages when missing, creates or starts a cluster (run as the postgres user,
# never as root), creates the gridgov role and the database with PostGIS. --fresh drops it first.
# When this script starts the cluster it leaves .run/pg-started so the caller can stop it again.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
name=${1:?database name}
fresh=${2:-}
role=gridgov
password=gridgov

command -v pg_lsclusters >/dev/null 2>&1 || apt_install postgresql postgresql-common

# Prefer a cluster that is already online, else the newest one; create one when there is none.
cluster=$(pg_lsclusters -h | awk '$4 == "online" {print $1, $2, $3; exit}')
[ -n "$cluster" ] || cluster=$(pg_lsclusters -h | sort -V | awk 'END {if (NF) print $1, $2, $3}')
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  log "creating PostgreSQL $version cluster 'main'"
  as_root pg_createcluster "$version" main >&2
  cluster=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $1, $2, $3}')
fi
read -r version cname port <<<"$cluster"

apt_install "postgresql-$version-postgis-3"

if ! pg_lsclusters -h | awk -v v="$version" -v c="$cname" '$1 == v && $2 == c' | grep -q online; then
  log "starting PostgreSQL $version/$cname on port $port"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cname" start >&2
  mkdir -p "$here/../.run" && echo "$version $cname" > "$here/../.run/pg-started"
fi

psql_su() { as_postgres psql -p "$port" -X -q -v ON_ERROR_STOP=1 "$@"; }
for _ in $(seq 30); do psql_su -c 'select 1' >/dev/null 2>&1 && break; sleep 0.5; done

if [ "$(psql_su -tAc "select 1 from pg_roles where rolname = '$role'")" != 1 ]; then
  psql_su -c "create role $role login password '$password'" >&2
fi
if [ "$fresh" = "--fresh" ]; then
  psql_su -c "drop database if exists $name with (force)" >&2
fi
if [ "$(psql_su -tAc "select 1 from pg_database where datname = '$name'")" != 1 ]; then
  psql_su -c "create database $name owner $role" >&2
fi
# PostGIS is not a trusted extension, so the superuser creates it; migrations then find it there.
psql_su -d "$name" -c 'create extension if not exists postgis' >&2

echo "postgresql://$role:$password@127.0.0.1:$port/$name"
