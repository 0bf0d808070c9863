#!/usr/bin/env bash
# make run: the console built, database, migrations, demo district, demo accounts, then the export
# worker and gunicorn in the foreground.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/.."
. scripts/secrets.sh

if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(scripts/db.sh gridgov)
fi
export DATABASE_URL FLASK_APP=wsgi

server=
worker=
stop_all() {
  trap - INT TERM EXIT
  [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null
  [ -n "$worker" ] && kill -TERM "$worker" 2>/dev/null && wait "$worker" 2>/dev/null
  scripts/stop-db.sh
}
trap stop_all INT TERM EXIT

scripts/console.sh build
.venv/bin/flask db upgrade
.venv/bin/flask codes load >/dev/null
log "loading the demo district (罗湖区)"
.venv/bin/flask demo load >/dev/null
log "generating a synthetic population (first run only; GRIDGOV_DEMO_PERSONS=${GRIDGOV_DEMO_PERSONS:=30000})"
.venv/bin/flask demo generate --persons "$GRIDGOV_DEMO_PERSONS" --seed 440303 --if-empty | tail -1
.venv/bin/flask demo accounts --save instance/demo-accounts.txt
cat <<MSG

gridgov serves http://127.0.0.1:$PORT  (docs: http://127.0.0.1:$PORT/api/v1/docs)
Console: http://127.0.0.1:$PORT/console/  (log in with a demo account above)
Log in:  curl -s -X POST http://127.0.0.1:$PORT/api/v1/auth/login -H 'Content-Type: application/json' \\
           -d '{"username": "demo_district", "password": "<password above or in instance/demo-accounts.txt>"}'
Then:    curl -s -H "Authorization: Bearer <access_token>" 'http://127.0.0.1:$PORT/api/v1/locate?lon=114.118&lat=22.548'
Ctrl-C stops the server (and PostgreSQL, if this command started it).

MSG
# The export worker writes large exports outside any request (a job that outlives a killed
# worker is taken up again by the next one).
.venv/bin/flask exports work &
worker=$!
.venv/bin/gunicorn --workers "${GRIDGOV_WORKERS:-2}" --bind "127.0.0.1:$PORT" \
  --access-logfile - wsgi:app &
server=$!
wait "$server"
