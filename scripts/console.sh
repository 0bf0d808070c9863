#!/usr/bin/env bash
# The desk console (console/): scripts/console.sh build|typecheck|unit|browser
#   build      Node.js/npm from Debian when missing; `npm ci` when package-lock.json changed,
#              `npm run build` (vue-tsc type check, then vite) when the sources changed.
#   typecheck  vue-tsc over the sources (part of make lint; build runs it too).
#   unit       the Vitest unit tests.
#   browser    Debian's Chromium and CJK fonts for the browser tests and screenshots.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
dir="$here/../console"
cd "$dir"

need_node() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && return 0
  apt_install nodejs npm
}

installed() {
  need_node
  # npm ci writes node_modules/.package-lock.json; a newer lock file means new packages.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing the console's npm packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error >&2
  fi
}

stale() {
  [ -f dist/.built ] || return 0
  [ -n "$(find src index.html package.json package-lock.json vite.config.ts tsconfig.json -newer dist/.built -print -quit)" ]
}

case "${1:-build}" in
  build)
    if stale; then
      installed
      log "building the console (vue-tsc + vite)"
      # Stamped with the time the build started, so a source saved during the build is newer.
      started=$(mktemp)
      trap 'rm -f "$started"' EXIT
      npm run --silent build -- --logLevel warn >&2
      mv "$started" dist/.built
    fi
    ;;
  typecheck)
    installed
    npx --no-install vue-tsc --noEmit
    ;;
  unit)
    installed
    npx --no-install vitest run --reporter=dot
    ;;
  browser)
    apt_install chromium fonts-noto-cjk
    ;;
  *)
    echo "usage: $0 build|typecheck|unit|browser" >&2
    exit 2
    ;;
esac
