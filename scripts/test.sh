#!/usr/bin/env bash
# make test: a fresh throwaway database (TEST_DATABASE_URL, or a local one named TEST_DB_NAME,
# gridgov_test by default, so two checkouts can test side by side), the console built, then pytest.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/.."
trap scripts/stop-db.sh EXIT
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  DATABASE_URL=$TEST_DATABASE_URL
else
  DATABASE_URL=$(scripts/db.sh "${TEST_DB_NAME:-gridgov_test}" --fresh)
fi
export DATABASE_URL
# Fixed test keys: never used outside the throwaway test database.
export GRIDGOV_JWT_SECRET=test-secret-not-for-production-0123456789
export GRIDGOV_DATA_KEYS="1:$(printf 'test-data-key-1-not-for-product!' | base64)"
export GRIDGOV_BLIND_INDEX_KEY="$(printf 'test-blind-index-key-not-for-prod' | base64)"
# The console the browser tests drive: built when its sources changed (the type check is part of
# the build), its unit tests, and Debian's Chromium with CJK fonts.
scripts/console.sh build
scripts/console.sh unit
scripts/console.sh browser
.venv/bin/pytest "$@"
