#!/usr/bin/env bash
# make bench: a bench database with the demo district, wrk, then the benchmarks in bench/.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/.."
trap scripts/stop-db.sh EXIT
apt_install wrk
. scripts/secrets.sh
DATABASE_URL=${BENCH_DATABASE_URL:-$(scripts/db.sh "${BENCH_DB_NAME:-gridgov_bench}")}
export DATABASE_URL FLASK_APP=wsgi
.venv/bin/flask db upgrade
.venv/bin/flask codes load >/dev/null
.venv/bin/flask demo load >/dev/null
what=${BENCH:-locate simulate upload upload_houses stats redraw onboarding exports morning}
for name in $what; do .venv/bin/python -m "bench.$name"; done
