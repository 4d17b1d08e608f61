#!/bin/sh
# Refuse to start with a missing, example or short secret; then run the command.
#   check-settings.sh NAME... -- COMMAND [ARG...]
# Each NAME must be set and must not contain the example placeholder "change-me"; names ending in PASSWORD or
# SECRET_KEY must be at least 16 characters. Messages name the variable, never its value.
set -eu
names=""
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
  names="$names $1"
  shift
done
[ "$#" -gt 0 ] && shift  # the --
failed=0
for name in $names; do
  case "$name" in
    *[!A-Z0-9_]*|"") echo "error: $name is not a variable name." >&2; exit 2 ;;
  esac
  eval "value=\${$name:-}"  # POSIX sh without printenv (the MinIO images are minimal); names are checked above
  if [ -z "$value" ]; then
    echo "error: $name is not set; set it in .env (see .env.example)." >&2
    failed=1
    continue
  fi
  case "$value" in
    *change-me*)
      echo "error: $name still holds the example value from .env.example; choose a real one." >&2
      failed=1
      continue
      ;;
  esac
  case "$name" in
    *PASSWORD|*SECRET_KEY)
      if [ "${#value}" -lt 16 ]; then
        echo "error: $name is shorter than 16 characters; choose a longer random secret." >&2
        failed=1
      fi
      ;;
  esac
done
[ "$failed" -eq 0 ] || exit 1
[ "$#" -eq 0 ] || exec "$@"
