#!/usr/bin/env bash
# Create the virtualenv and install the pinned requirements (installing python3-venv if needed).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
python=${1:-python3}
venv=${2:-.venv}
command -v "$python" >/dev/null 2>&1 || apt_install python3 python3-venv
if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
  apt_install python3-venv
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi
log "installing Python requirements into $venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$here/../requirements.txt" -c "$here/../constraints.txt"
