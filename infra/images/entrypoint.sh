#!/bin/sh
# Entry point of Grove's images: every VAR_FILE in the environment (a compose secret, say
# PGPASSWORD_FILE=/run/secrets/postgres_password) becomes VAR with that file's content, so secrets
# need not be in the environment itself; then the command runs in this process's place.
set -eu
for name in $(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)_FILE=.*/\1/p'); do
  eval "file=\${${name}_FILE}"
  [ -r "$file" ] || { echo "grove: ${name}_FILE names $file, which this user ($(id -u)) cannot read" >&2; exit 2; }
  value=$(cat "$file")
  export "$name=$value"
  unset "${name}_FILE"
done
exec "$@"
