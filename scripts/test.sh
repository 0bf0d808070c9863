#!/usr/bin/env bash
# make test: a fresh throwaway database (TEST_DATABASE_URL, or a local one), then pytest.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/.."
trap scripts/stop-db.sh EXIT
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  DATABASE_URL=$TEST_DATABASE_URL
else
  DATABASE_URL=$(scripts/db.sh gridgov_test --fresh)
fi
export DATABASE_URL
export GRIDGOV_JWT_SECRET=${GRIDGOV_JWT_SECRET:-test-secret-not-for-production-0123456789}
.venv/bin/pytest "$@"
