#!/usr/bin/env bash
# Stop the PostgreSQL cluster if (and only if) scripts/db.sh started it.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
marker="$here/../.run/pg-started"
[ -f "$marker" ] || exit 0
read -r version cname <"$marker"
log "stopping PostgreSQL $version/$cname, which this command started"
as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cname" stop >&2 || true
rm -f "$marker"
