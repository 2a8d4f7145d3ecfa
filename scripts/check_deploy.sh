#!/usr/bin/env bash
# Checks the deployment files without a Docker daemon: hadolint on the Dockerfile, the
# compose file against the Compose specification's schema (shipped by check-jsonschema),
# and `systemd-analyze verify` on the unit. Building and running the image is not done here.
set -euo pipefail
cd "$(dirname "$0")/.."

.venv/bin/hadolint Dockerfile
echo "hadolint: Dockerfile ok"

.venv/bin/check-jsonschema --builtin-schema vendor.compose-spec compose.yaml

if ! command -v systemd-analyze >/dev/null; then
  if [ -n "${CI:-}" ]; then
    echo "systemd-analyze is missing (Debian package systemd)" >&2
    exit 1
  fi
  echo "systemd-analyze: not installed here, unit not verified (apt-get install systemd)"
  exit 0
fi
# The unit names the installed virtualenv, which does not exist in a checkout, and verify
# refuses a missing ExecStart; a copy pointed at this checkout's virtualenv is verified.
unit_dir=$(mktemp -d)
trap 'rm -rf "$unit_dir"' EXIT
sed "s|/opt/vmeste-bot/.venv/bin/python|$PWD/.venv/bin/python|" deploy/vmeste-bot.service \
  >"$unit_dir/vmeste-bot.service"
# verify reports unknown keys and bad values as warnings with exit 0: any output fails.
report=$(systemd-analyze verify --man=no "$unit_dir/vmeste-bot.service" 2>&1) || {
  echo "$report" >&2
  exit 1
}
if [ -n "$report" ]; then
  echo "$report" >&2
  exit 1
fi
echo "systemd-analyze verify: deploy/vmeste-bot.service ok"
