# Sourced: load development secrets from instance/secrets.env, generating them on first use.
# The file is untracked; production sets GRIDGOV_* in the environment instead.
mkdir -p instance
key() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }
if [ ! -f instance/secrets.env ] || ! grep -q GRIDGOV_DATA_KEYS instance/secrets.env; then
  (umask 077 && {
    printf 'GRIDGOV_JWT_SECRET=%s\n' "$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')"
    printf 'GRIDGOV_DATA_KEYS=1:%s\n' "$(key)"
    printf 'GRIDGOV_BLIND_INDEX_KEY=%s\n' "$(key)"
  } > instance/secrets.env)
fi
set -a
. instance/secrets.env
set +a
