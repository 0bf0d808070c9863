# Sourced: load development secrets from instance/secrets.env, generating them on first use.
# The file is untracked; production sets GRIDGOV_* in the environment instead.
mkdir -p instance
if [ ! -f instance/secrets.env ]; then
  (umask 077 && printf 'GRIDGOV_JWT_SECRET=%s\n' "$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')" \
    > instance/secrets.env)
fi
set -a
. instance/secrets.env
set +a
